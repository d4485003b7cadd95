using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Ferry.Contracts.Chat;
using Ferry.Contracts.Stats;
using Ferry.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Ferry.Services.Chat.Redis;

/// <summary>
/// The chat shared by every server pointed at one Redis (issue #20). Redis holds the truth: per room a stream
/// (the log, entry ids <c>SEQ-0</c>) written together with the seq counter and the announcement by one Lua script,
/// so a room has one order for everyone; the members of each room; who holds each nick; every server's presence.
/// This server follows the rooms its own members are in: one task (<see cref="ProcessAsync"/>) takes the events
/// channel in order and hands each room's messages to the local members strictly by seq, reading the log for
/// whatever the channel skipped (pub/sub drops messages while Redis or the network hiccups; the log does not), so
/// nothing is lost or delivered twice. Local state (members, nicks, each followed room's last seq and recent
/// history) is under one lock; fan-out only queues, as in <see cref="ChatHub"/>.
/// </summary>
internal sealed class RedisChatHub : IChatHub, IHostedService, IAsyncDisposable
{
    private const int LogReadBatch = 1000;
    private const int MaxListed = 100_000;
    private const int MaxServersListed = 1000;

    private readonly RedisChatOptions _redis;
    private readonly TimeProvider _time;
    private readonly string _serverId;
    private readonly string _prefix;
    private readonly RedisChannel _events;
    private readonly RedisChannel _inbox;
    private readonly object _gate = new();
    private readonly Dictionary<string, LocalRoom> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ChatMember> _nicks = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<ChatMember, LocalRoom> _memberRooms = [];
    private readonly List<PendingLeave> _pendingLeaves = [];
    private readonly Channel<Work> _work = Channel.CreateBounded<Work>(new BoundedChannelOptions(100_000) { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private ILogger _log = NullLogger.Instance;
    private ConnectionMultiplexer? _mux;
    private Task _processor = Task.CompletedTask;
    private Task _heartbeat = Task.CompletedTask;
    private long _queueDrops;
    private int _degraded;
    private long _dropped;
    private int _catchUpBeats;

    public RedisChatHub(ChatOptions options, RedisChatOptions redis, TimeProvider? time = null)
    {
        Options = options;
        _redis = redis;
        _time = time ?? TimeProvider.System;
        _serverId = redis.ServerId ?? Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        _prefix = redis.KeyPrefix;
        _events = RedisChannel.Literal(_prefix + "events");
        _inbox = RedisChannel.Literal(_prefix + "inbox:" + _serverId);
    }

    public ChatOptions Options { get; }

    /// <summary>This server's id in Redis.</summary>
    public string ServerId => _serverId;

    /// <summary>Members disconnected because their send queue overflowed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Whether Redis is unreachable right now (chat requests are refused with <c>busy</c>).</summary>
    public bool IsDegraded => Volatile.Read(ref _degraded) != 0;

    /// <summary>Sets the logger (the host creates the hub before its services exist).</summary>
    public RedisChatHub WithLogger(ILogger logger)
    {
        _log = logger;
        return this;
    }

    // ---------------------------------------------------------------- lifetime

    /// <summary>Connects, subscribes and beats once; a Redis that does not answer in time fails the start with one line.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var address = RedisChatAddress.Describe(_redis.Address);
        var config = RedisChatAddress.Parse(_redis.Address);
        config.ConnectTimeout = (int)_redis.ConnectTimeout.TotalMilliseconds;
        config.SyncTimeout = config.AsyncTimeout = 5000;
        string? failure = null;
        var mux = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
        mux.ConnectionFailed += (_, e) => failure = $"{e.FailureType}: {e.Exception?.Message}";
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            wait.CancelAfter(_redis.ConnectTimeout);
            try
            {
                while (!mux.IsConnected) await Task.Delay(50, wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Reported below.
            }
        }
        if (!mux.IsConnected)
        {
            await mux.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"cannot reach the chat's Redis at {address} (--chat-redis): " +
                $"{failure ?? $"no answer within {_redis.ConnectTimeout.TotalSeconds:0.#} s"}; is redis-server running there?");
        }
        _mux = mux;
        mux.ConnectionFailed += (_, e) => OnLost($"{e.FailureType}: {e.Exception?.Message}");
        mux.ConnectionRestored += (_, _) => OnRestored();
        var subscriber = mux.GetSubscriber();
        (await subscriber.SubscribeAsync(_events).ConfigureAwait(false)).OnMessage(m => Post(new Published((byte[]?)m.Message ?? [], Inbox: false)));
        (await subscriber.SubscribeAsync(_inbox).ConfigureAwait(false)).OnMessage(m => Post(new Published((byte[]?)m.Message ?? [], Inbox: true)));
        await BeatAsync(first: true).ConfigureAwait(false);
        _processor = ProcessAsync(_stopping.Token);
        _heartbeat = HeartbeatAsync(_stopping.Token);
        RedisChatLog.Connected(_log, address, _serverId);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        _work.Writer.TryComplete();
        await Task.WhenAll(_processor, _heartbeat).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_mux is { IsConnected: true } mux)
        {
            try
            {
                // Gone at once rather than after the time-to-live: the next server to beat announces our members as left.
                await mux.GetDatabase().KeyDeleteAsync(Key("s:" + _serverId + ":alive")).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                // Then the time-to-live does it.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        if (_mux is { } mux) await mux.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private void OnLost(string failure)
    {
        if (Interlocked.Exchange(ref _degraded, 1) != 0) return;
        RedisChatLog.Lost(_log, failure);
        BroadcastAll(new ChatEventMessage
        {
            Kind = "degraded",
            Time = Now(),
            Reason = "chat backend (Redis) unreachable; messages are refused until it is back, then the room catches up",
        });
    }

    // Every restored connection (commands and subscription come back separately) catches up, and so do the next few
    // beats: a message published before the subscription was back in place is found in the log, not lost.
    private void OnRestored()
    {
        Volatile.Write(ref _catchUpBeats, 3);
        Post(new CatchUp());
        if (Interlocked.Exchange(ref _degraded, 0) == 0) return;
        RedisChatLog.Restored(_log);
        BroadcastAll(new ChatEventMessage { Kind = "recovered", Time = Now() });
    }

    private void BroadcastAll(ChatEventMessage template)
    {
        var overflowed = new List<ChatMember>();
        lock (_gate)
        {
            foreach (var (member, room) in _memberRooms)
            {
                if (!member.TryEnqueue(new ChatDelivery(member.Join, template with { Room = room.Name }, default))) overflowed.Add(member);
            }
        }
        DropLater(overflowed);
    }

    // ---------------------------------------------------------------- IChatHub

    public async ValueTask<string> SetNickAsync(ChatMember member, string? requested)
    {
        var nick = ChatText.ValidateName(requested, "nick", Options.MaxNickLength);
        string? old;
        LocalRoom? room;
        lock (_gate)
        {
            if (_nicks.TryGetValue(nick, out var holder))
            {
                if (!ReferenceEquals(holder, member))
                {
                    throw new FerryException(ProtocolError.AlreadyExists, $"the nick '{nick}' is taken; choose another (chat.nick, or 'nick' on chat.join)");
                }
                if (string.Equals(member.Nick, nick, StringComparison.Ordinal)) return nick;
            }
            old = member.Nick;
            _memberRooms.TryGetValue(member, out room);
            _nicks[nick] = member; // reserved while Redis is asked
        }
        bool claimed = false;
        try
        {
            byte[] payload = room is null || old is null ? []
                : RedisChatWire.EncodePresence(room.Key, new ChatEventMessage { Kind = "nick", Room = room.Name, From = old, Nick = nick, Time = Now() });
            var result = await RunAsync(RedisChatScripts.Nick,
                [Key("n:" + RedisChatWire.NickKey(nick)), Key("n:" + RedisChatWire.NickKey(old ?? nick)), ServerNicksKey, room is null ? ServerNicksKey : RoomKey(room.Key, "members")],
                [_serverId, nick, old ?? "", room?.Key ?? "", _prefix + "events", payload, RedisChatWire.NickKey(nick), RedisChatWire.NickKey(old ?? "")]).ConfigureAwait(false);
            claimed = (long)result == 1;
        }
        finally
        {
            lock (_gate)
            {
                if (claimed)
                {
                    if (old is not null && !string.Equals(old, nick, StringComparison.OrdinalIgnoreCase)) _nicks.Remove(old);
                    member.Nick = nick;
                }
                else if (!string.Equals(member.Nick, nick, StringComparison.OrdinalIgnoreCase))
                {
                    _nicks.Remove(nick);
                }
            }
        }
        if (!claimed) throw new FerryException(ProtocolError.AlreadyExists, $"the nick '{nick}' is taken on another server of this chat; choose another");
        return nick;
    }

    public async ValueTask JoinAsync(ChatMember member, ChatJoinRequest request, Server.RequestContext join)
    {
        var name = ChatText.ValidateName(string.IsNullOrEmpty(request.Room) ? "lobby" : request.Room, "room", Options.MaxRoomLength);
        var key = RedisChatWire.RoomKey(name);
        if (request.Nick is not null) await SetNickAsync(member, request.Nick).ConfigureAwait(false);
        else if (member.Nick is null) await ClaimDefaultNickAsync(member).ConfigureAwait(false);
        var nick = member.Nick ?? throw new FerryException(ProtocolError.BadRequest, "this connection has left the chat");

        LocalRoom? current;
        lock (_gate) _memberRooms.TryGetValue(member, out current);
        if (current is not null) await LeaveCoreAsync(member, current, "left", release: false).ConfigureAwait(false);

        var entered = (RedisResult[])(await RunAsync(RedisChatScripts.Enter,
            [RoomKey(key, "members"), ServerNicksKey, Key("rooms"), RoomKey(key, "epoch"), RoomKey(key, "seq"), RoomKey(key, "log")],
            [nick, _serverId, key, name, Options.MaxRooms, RedisChatWire.NickKey(nick)]).ConfigureAwait(false))!;
        if ((string?)entered[0] != "ok")
        {
            throw new FerryException(ProtocolError.Busy,
                $"busy: this chat already has {Options.MaxRooms} rooms (its chat room cap); join an existing one (chat.rooms lists them)");
        }
        var shown = (string?)entered[1] is { } s && RedisChatWire.IsName(s, Options.MaxRoomLength) && RedisChatWire.RoomKey(s) == key ? s : name;
        var others = Names((RedisResult[]?)entered[2]).Where(n => !string.Equals(n, nick, StringComparison.Ordinal)).ToList();

        LocalRoom room;
        bool load = false;
        lock (_gate)
        {
            if (!_rooms.TryGetValue(key, out room!))
            {
                room = new LocalRoom(key, shown, Options.HistorySize);
                _rooms[key] = room;
                load = true;
            }
            room.Joining++;
        }
        bool fits = true, joined = false;
        try
        {
            if (load) Post(new LoadRoom(room));
            await room.Loaded.Task.WaitAsync(join.CancellationToken).ConfigureAwait(false);
            var overflowed = new List<ChatMember>();
            lock (_gate)
            {
                var (history, resumed, reset) = ChatResume.Select(room.History.ToList(), room.LastSeq, room.Epoch, request, d => d.Event!.Seq);
                var reply = new ChatJoinReply
                {
                    Room = room.Name,
                    Nick = nick,
                    Members = [.. others, nick],
                    History = history.Count,
                    Epoch = room.Epoch,
                    Seq = room.LastSeq,
                    Resumed = resumed,
                    Reset = reset,
                };
                _memberRooms[member] = room;
                member.Join = join;
                room.Members.Add(member);
                joined = true;
                fits = member.TryEnqueue(new ChatDelivery(join, null, default, reply));
                foreach (var past in history) fits &= member.TryEnqueue(past with { Join = join, Event = past.Event! with { History = true } });
            }
        }
        finally
        {
            lock (_gate)
            {
                room.Joining--;
                if (!joined) ForgetIfUnused(room);
            }
        }
        if (!fits)
        {
            DropLater([member]);
            return;
        }
        await PublishAsync(RedisChatWire.EncodePresence(key, new ChatEventMessage { Kind = "join", Room = room.Name, From = nick, Time = Now() })).ConfigureAwait(false);
    }

    public async ValueTask LeaveAsync(ChatMember member)
    {
        LocalRoom? room;
        lock (_gate) _memberRooms.TryGetValue(member, out room);
        if (room is null) throw new FerryException(ProtocolError.NotFound, "you are not in a room; join one first (chat.join)");
        await LeaveCoreAsync(member, room, "left", release: false).ConfigureAwait(false);
    }

    public async ValueTask<long> SayAsync(ChatMember member, string? roomName, ReadOnlyMemory<byte> text)
    {
        LocalRoom? room;
        string? nick;
        lock (_gate)
        {
            _memberRooms.TryGetValue(member, out room);
            nick = member.Nick;
        }
        if (room is null || nick is null) throw new FerryException(ProtocolError.NotFound, "you are not in a room; join one first (chat.join)");
        if (!string.IsNullOrEmpty(roomName) && !string.Equals(roomName, room.Name, StringComparison.OrdinalIgnoreCase))
        {
            throw new FerryException(ProtocolError.NotFound, $"you are in '{room.Name}', not '{ChatText.StripControls(roomName)}'; join it first");
        }
        var entry = RedisChatWire.EncodeEntry(room.Name, nick, Now(), Encoding.UTF8.GetString(text.Span));
        var result = (RedisResult[])(await RunAsync(RedisChatScripts.Say,
            [RoomKey(room.Key, "epoch"), RoomKey(room.Key, "seq"), RoomKey(room.Key, "log")],
            [ChatResume.NewEpoch(), Math.Max(1, Options.HistorySize), entry, _prefix + "events", room.Key]).ConfigureAwait(false))!;
        return (long)result[1];
    }

    public async ValueTask PrivateAsync(ChatMember member, string? to, ReadOnlyMemory<byte> text)
    {
        var target = ChatText.ValidateName(to, "nick", Options.MaxNickLength);
        var nick = member.Nick ?? throw new FerryException(ProtocolError.BadRequest, "choose a nick before sending private messages (chat.nick or chat.join)");
        byte[] payload = [(byte)'p', (byte)' ', .. RedisChatWire.EncodePrivate(nick, target, Now(), Encoding.UTF8.GetString(text.Span))];
        var received = (long)await RunAsync(RedisChatScripts.Private, [Key("n:" + RedisChatWire.NickKey(target))],
            [_prefix, RedisChatWire.NickKey(target), payload]).ConfigureAwait(false);
        if (received == 0)
        {
            throw new FerryException(ProtocolError.NotFound, $"nobody called '{target}' is in a room on any server of this chat (chat.who lists a room's members)");
        }
    }

    public async ValueTask<ChatWhoMessage> WhoAsync(ChatMember member, string? roomName)
    {
        string? name;
        if (string.IsNullOrEmpty(roomName))
        {
            lock (_gate) name = _memberRooms.TryGetValue(member, out var room) ? room.Name : null;
        }
        else
        {
            name = ChatText.ValidateName(roomName, "room", Options.MaxRoomLength);
        }
        if (name is null) throw new FerryException(ProtocolError.BadRequest, "you are not in a room; name one (chat.who with 'room')");
        var key = RedisChatWire.RoomKey(name);
        var db = Database;
        try
        {
            var nicks = await db.HashKeysAsync(RoomKey(key, "members")).ConfigureAwait(false);
            var shown = await db.HashGetAsync(Key("rooms"), key).ConfigureAwait(false);
            if (nicks.Length == 0 && shown.IsNull) throw new FerryException(ProtocolError.NotFound, $"there is no room '{name}' (chat.rooms lists them)");
            var room = (string?)shown is { } s && RedisChatWire.IsName(s, Options.MaxRoomLength) ? s : name;
            return new ChatWhoMessage { Room = room, Members = [.. nicks.Take(MaxListed).Select(n => (string?)n).Where(n => RedisChatWire.IsName(n, Options.MaxNickLength)).Select(n => n!)] };
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            throw Unreachable(ex);
        }
    }

    public async ValueTask<ChatRoomsReply> RoomsAsync()
    {
        var result = (RedisResult[])(await RunAsync(RedisChatScripts.Rooms, [Key("rooms")], [_prefix, Math.Min(Options.MaxRooms, MaxListed)]).ConfigureAwait(false))!;
        var rooms = new List<ChatRoomInfo>();
        for (int i = 0; i + 2 < result.Length; i += 3)
        {
            var shown = (string?)result[i + 1];
            if (!RedisChatWire.IsName(shown, Options.MaxRoomLength)) continue;
            rooms.Add(new ChatRoomInfo(shown!, (int)Math.Clamp((long)result[i + 2], 0, int.MaxValue)));
        }
        return new ChatRoomsReply { Rooms = [.. rooms.OrderByDescending(r => r.Members).ThenBy(r => r.Name, StringComparer.OrdinalIgnoreCase)] };
    }

    public async ValueTask RemoveAsync(ChatMember member, string reason)
    {
        LocalRoom? room;
        string? nick;
        lock (_gate)
        {
            _memberRooms.TryGetValue(member, out room);
            nick = member.Nick;
        }
        try
        {
            if (room is not null) await LeaveCoreAsync(member, room, reason, release: true).ConfigureAwait(false);
            else if (nick is not null) await ReleaseAsync(new PendingLeave(nick, "", "", [])).ConfigureAwait(false);
        }
        catch (FerryException)
        {
            // Redis is unreachable: the leave was queued and is retried by the heartbeat.
        }
        finally
        {
            lock (_gate)
            {
                if (nick is not null && _nicks.TryGetValue(nick, out var holder) && ReferenceEquals(holder, member)) _nicks.Remove(nick);
                member.Nick = null;
            }
        }
    }

    /// <summary>The servers of this chat as Redis has them, for <c>stats</c>; what Redis holds is checked, not trusted.</summary>
    public async ValueTask<StatsChatCluster?> DescribeClusterAsync(CancellationToken cancellationToken)
    {
        var cluster = new StatsChatCluster
        {
            SharedThrough = "Redis at " + RedisChatAddress.Describe(_redis.Address),
            ServerId = _serverId,
            Degraded = IsDegraded,
        };
        try
        {
            var db = Database;
            cluster.RedisRoundTripMillis = Math.Round((await db.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false)).TotalMilliseconds, 3);
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(RedisChatScripts.Cluster, [Key("servers"), Key("rooms")], [_prefix, MaxServersListed])
                .WaitAsync(cancellationToken).ConfigureAwait(false))!;
            cluster.Rooms = result.Length > 0 && result[0].Resp2Type == ResultType.Integer ? (int)Math.Clamp((long)result[0], 0, int.MaxValue) : 0;
            long now = Now();
            var servers = new List<StatsChatServer>();
            for (int i = 1; i + 1 < result.Length; i += 2)
            {
                var id = (string?)result[i];
                if (!RedisChatWire.IsEpoch(id))
                {
                    RedisChatLog.Ignored(_log, "a server id", (byte[]?)result[i] ?? []);
                    continue;
                }
                var alive = (string?)result[i + 1] ?? "";
                var beat = RedisChatWire.ParseBeat(alive);
                if (beat is null && alive.Length > 0) RedisChatLog.Ignored(_log, "a server's presence", (byte[]?)result[i + 1] ?? []);
                servers.Add(new StatsChatServer
                {
                    Id = id!,
                    This = id == _serverId,
                    Alive = alive.Length > 0,
                    Members = beat?.Members,
                    LastHeartbeat = beat?.Time,
                    HeartbeatAgeMillis = beat is { } b ? Math.Max(0, now - b.Time) : null,
                });
            }
            cluster.Servers = [.. servers.OrderByDescending(s => s.This).ThenBy(s => s.Id, StringComparer.Ordinal)];
        }
        catch (Exception ex) when (IsRedisFailure(ex) || ex is FerryException)
        {
            cluster.Error = Unreachable(ex).Message;
        }
        return cluster;
    }

    // ---------------------------------------------------------------- membership helpers

    private async Task ClaimDefaultNickAsync(ChatMember member)
    {
        var baseName = ChatText.StripControls(member.PrincipalName);
        for (int n = 1; n < 1000; n++)
        {
            try
            {
                await SetNickAsync(member, n == 1 ? baseName : $"{baseName}-{n}").ConfigureAwait(false);
                return;
            }
            catch (FerryException ex) when (ex.Error == ProtocolError.AlreadyExists)
            {
                // Try the next suffix.
            }
        }
        throw new FerryException(ProtocolError.Busy, "could not find a free default nick; choose one with chat.nick");
    }

    // The leaver gets its own leave directly (the last event on its join's id); the others get it from the channel.
    private async Task LeaveCoreAsync(ChatMember member, LocalRoom room, string reason, bool release)
    {
        string? nick;
        lock (_gate)
        {
            if (!_memberRooms.TryGetValue(member, out var current) || !ReferenceEquals(current, room)) return;
            nick = member.Nick;
            var leave = new ChatEventMessage { Kind = "leave", Room = room.Name, From = nick, Time = Now(), Reason = reason };
            member.TryEnqueue(new ChatDelivery(member.Join, leave, default));
            room.Members.Remove(member);
            _memberRooms.Remove(member);
            member.Join.End();
            ForgetIfUnused(room);
        }
        if (nick is null) return;
        var payload = RedisChatWire.EncodePresence(room.Key, new ChatEventMessage { Kind = "leave", Room = room.Name, From = nick, Time = Now(), Reason = reason });
        await ReleaseAsync(new PendingLeave(nick, room.Key, release ? "1" : "", payload)).ConfigureAwait(false);
    }

    private async Task ReleaseAsync(PendingLeave leave)
    {
        var key = leave.RoomKey;
        try
        {
            await RunAsync(RedisChatScripts.Leave,
                [RoomKey(key, "members"), ServerNicksKey, Key("rooms"), RoomKey(key, "epoch"), RoomKey(key, "seq"), RoomKey(key, "log"), Key("n:" + RedisChatWire.NickKey(leave.Nick))],
                [leave.Nick, _serverId, (long)Options.EmptyRoomLifetime.TotalMilliseconds, _prefix + "events", leave.Payload, key,
                    key.Length == 0 ? "1" : leave.Release, RedisChatWire.NickKey(leave.Nick)]).ConfigureAwait(false);
        }
        catch (FerryException)
        {
            lock (_pendingLeaves) _pendingLeaves.Add(leave);
            throw;
        }
    }

    // Under the lock: a room with no local members (and no join on its way in) is no longer followed.
    private void ForgetIfUnused(LocalRoom room)
    {
        if (room.Members.Count == 0 && room.Joining == 0 && _rooms.TryGetValue(room.Key, out var current) && ReferenceEquals(current, room)) _rooms.Remove(room.Key);
    }

    private void DropLater(List<ChatMember> overflowed)
    {
        if (overflowed.Count == 0) return;
        _ = Task.Run(async () =>
        {
            foreach (var member in overflowed)
            {
                var nick = member.Nick;
                if (nick is null) continue;
                Interlocked.Increment(ref _dropped);
                await RemoveAsync(member, $"dropped: not reading fast enough ({Options.SendQueueCapacity} chat events were waiting); reconnect to rejoin").ConfigureAwait(false);
                member.Disconnect($"chat: {nick} was disconnected for not reading fast enough ({Options.SendQueueCapacity} events queued); reconnect to rejoin");
            }
        });
    }

    // ---------------------------------------------------------------- following rooms (one task, in channel order)

    private void Post(Work work)
    {
        if (_work.Writer.TryWrite(work)) return;
        if (work is LoadRoom load) load.Room.Loaded.TrySetException(new FerryException(ProtocolError.Busy, "busy: the chat backplane is overloaded; try again"));
        // A dropped notice costs nothing lasting: the next one (or the catch-up after a reconnect) reads the log.
        if (Interlocked.Increment(ref _queueDrops) % 1000 == 1) RedisChatLog.QueueFull(_log, Interlocked.Read(ref _queueDrops));
    }

    private async Task ProcessAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var work in _work.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    switch (work)
                    {
                        case Published { Inbox: true } p:
                            DeliverPrivate(p.Payload);
                            break;
                        case Published p:
                            await HandlePublishedAsync(p.Payload).ConfigureAwait(false);
                            break;
                        case LoadRoom load:
                            await LoadAsync(load.Room).ConfigureAwait(false);
                            break;
                        case CatchUp:
                            await CatchUpAsync().ConfigureAwait(false);
                            break;
                    }
                }
                catch (Exception ex) when (IsRedisFailure(ex) || ex is FerryException)
                {
                    if (work is LoadRoom load) FailLoad(load.Room, ex is FerryException f ? f : Unreachable(ex));
                    // A failed read of a log is made good by the next notice or by the catch-up after the reconnect.
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    if (work is LoadRoom load) FailLoad(load.Room, new FerryException(ProtocolError.Internal, "the chat backplane failed to load the room"));
                    RedisChatLog.WorkFailed(_log, ex);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void FailLoad(LocalRoom room, FerryException error)
    {
        lock (_gate)
        {
            if (_rooms.TryGetValue(room.Key, out var current) && ReferenceEquals(current, room)) _rooms.Remove(room.Key);
        }
        room.Loaded.TrySetException(error);
    }

    // Runs on the processing task, so every notice queued before it is older than what it reads, and every one after
    // it is checked against the seq it read: nothing between is lost or doubled.
    private async Task LoadAsync(LocalRoom room)
    {
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(RedisChatScripts.Load,
            [RoomKey(room.Key, "epoch"), RoomKey(room.Key, "seq"), RoomKey(room.Key, "log")],
            [ChatResume.NewEpoch(), Options.HistorySize]).ConfigureAwait(false))!;
        var epoch = (string?)result[0] ?? "";
        long.TryParse((string?)result[1], NumberStyles.None, CultureInfo.InvariantCulture, out long lastSeq);
        var entries = ParseLog((RedisResult[]?)result[2]);
        entries.Reverse();
        lock (_gate)
        {
            room.Epoch = epoch;
            room.LastSeq = Math.Max(lastSeq, entries.Count > 0 ? entries[^1].Seq : 0);
            foreach (var e in entries) room.Remember(Message(room, e));
        }
        room.Loaded.TrySetResult();
    }

    private async Task HandlePublishedAsync(byte[] payload)
    {
        var published = RedisChatWire.ParsePublished(payload, Options);
        if (published is null)
        {
            RedisChatLog.Ignored(_log, "an event", payload);
            return;
        }
        LocalRoom? room;
        var overflowed = new List<ChatMember>();
        lock (_gate)
        {
            if (!_rooms.TryGetValue(published.RoomKey, out room) || !room.Loaded.Task.IsCompletedSuccessfully) return;
            if (published.Presence is { } presence)
            {
                Broadcast(room, presence with { Room = room.Name }, default, overflowed);
                room = null;
            }
            else if (published.Epoch == room.Epoch)
            {
                if (published.Seq <= room.LastSeq) room = null; // already delivered (from the log, or a duplicate)
                else if (published.Seq == room.LastSeq + 1 && RedisChatWire.ParseEntry($"{published.Seq}-0", published.Entry ?? [], Options) is { } entry)
                {
                    Deliver(room, entry, overflowed); // the usual case: the next one, with its text
                    room = null;
                }
            }
        }
        DropLater(overflowed);
        if (room is null) return;
        // A gap (the channel skipped something) or a new epoch: the log decides what really happened.
        if (published.Epoch != room.Epoch) await CheckEpochAsync(room).ConfigureAwait(false);
        await ReadLogAsync(room, published.Seq).ConfigureAwait(false);
    }

    private async Task CatchUpAsync()
    {
        LocalRoom[] rooms;
        lock (_gate) rooms = [.. _rooms.Values.Where(r => r.Loaded.Task.IsCompletedSuccessfully)];
        foreach (var room in rooms)
        {
            await CheckEpochAsync(room).ConfigureAwait(false);
            await ReadLogAsync(room, long.MaxValue).ConfigureAwait(false);
        }
    }

    // A room whose epoch in Redis differs from ours restarted its numbering (Redis lost its data): members are told,
    // and the room is followed from seq 0 of the new epoch. A forged notice with an epoch Redis does not hold changes nothing.
    private async Task CheckEpochAsync(LocalRoom room)
    {
        var current = (string?)await Database.StringGetAsync(RoomKey(room.Key, "epoch")).ConfigureAwait(false);
        if (current is null || !RedisChatWire.IsEpoch(current)) return;
        var overflowed = new List<ChatMember>();
        lock (_gate)
        {
            if (current == room.Epoch) return;
            room.Epoch = current;
            room.LastSeq = 0;
            room.History.Clear();
            Broadcast(room, new ChatEventMessage
            {
                Kind = "reset",
                Room = room.Name,
                Time = Now(),
                Epoch = current,
                Reason = "epoch changed: the chat backend lost the room's history; numbering restarts",
            }, default, overflowed);
        }
        DropLater(overflowed);
    }

    // Delivers, in seq order, every logged message after the room's last seq (up to `until`, or to the log's end).
    private async Task ReadLogAsync(LocalRoom room, long until)
    {
        while (true)
        {
            long from;
            lock (_gate) from = room.LastSeq + 1;
            if (from > until) return;
            var entries = await Database.StreamRangeAsync(RoomKey(room.Key, "log"), $"{from}-0", "+", LogReadBatch).ConfigureAwait(false);
            var parsed = new List<(long Seq, RedisChatEntry Entry, byte[] Text)>();
            foreach (var e in entries)
            {
                var m = e["m"];
                if (RedisChatWire.ParseEntry((string?)e.Id, (byte[]?)m, Options) is { } entry) parsed.Add(entry);
                else RedisChatLog.Ignored(_log, "a log entry", (byte[]?)m ?? []);
            }
            var overflowed = new List<ChatMember>();
            lock (_gate)
            {
                foreach (var entry in parsed) Deliver(room, entry, overflowed);
                // Unreadable entries are skipped, not waited for.
                if (entries.Length > 0 && long.TryParse(((string?)entries[^1].Id)?.Split('-')[0], NumberStyles.None, CultureInfo.InvariantCulture, out long last))
                {
                    room.LastSeq = Math.Max(room.LastSeq, Math.Min(last, long.MaxValue - 1));
                }
            }
            DropLater(overflowed);
            if (entries.Length < LogReadBatch) return;
        }
    }

    private static List<(long Seq, RedisChatEntry Entry, byte[] Text)> ParseLog(RedisResult[]? log, ChatOptions options, ILogger logger)
    {
        var parsed = new List<(long, RedisChatEntry, byte[])>();
        foreach (var item in log ?? [])
        {
            if (item.Resp2Type != ResultType.Array) continue;
            var parts = (RedisResult[]?)item;
            if (parts is not { Length: 2 } || parts[1].Resp2Type != ResultType.Array) continue;
            var fields = (RedisResult[]?)parts[1] ?? [];
            byte[]? json = null;
            for (int i = 0; i + 1 < fields.Length; i += 2)
            {
                if ((string?)fields[i] == "m") json = (byte[]?)fields[i + 1];
            }
            if (RedisChatWire.ParseEntry((string?)parts[0], json, options) is { } entry) parsed.Add(entry);
            else RedisChatLog.Ignored(logger, "a log entry", json ?? []);
        }
        return parsed;
    }

    private List<(long Seq, RedisChatEntry Entry, byte[] Text)> ParseLog(RedisResult[]? log) => ParseLog(log, Options, _log);

    // Under the lock.
    private void Deliver(LocalRoom room, (long Seq, RedisChatEntry Entry, byte[] Text) entry, List<ChatMember> overflowed)
    {
        if (entry.Seq <= room.LastSeq) return;
        room.LastSeq = entry.Seq;
        var delivery = Message(room, entry);
        room.Remember(delivery);
        Broadcast(room, delivery.Event!, delivery.Text, overflowed);
    }

    private static ChatDelivery Message(LocalRoom room, (long Seq, RedisChatEntry Entry, byte[] Text) entry) =>
        new(default, new ChatEventMessage { Kind = "message", Room = room.Name, From = entry.Entry.From, Time = entry.Entry.Time, Seq = entry.Seq, Epoch = room.Epoch }, entry.Text);

    private void DeliverPrivate(byte[] payload)
    {
        if (RedisChatWire.ParsePrivate(payload, Options) is not { } parsed)
        {
            RedisChatLog.Ignored(_log, "a private message", payload);
            return;
        }
        var (message, text) = parsed;
        ChatMember? recipient;
        bool overflowed;
        lock (_gate)
        {
            if (!_nicks.TryGetValue(message.To!, out recipient) || !_memberRooms.TryGetValue(recipient, out var room)) return;
            var e = new ChatEventMessage { Kind = "private", Room = room.Name, From = message.From, To = recipient.Nick, Time = message.Time };
            overflowed = !recipient.TryEnqueue(new ChatDelivery(recipient.Join, e, text));
        }
        if (overflowed) DropLater([recipient]);
    }

    private static void Broadcast(LocalRoom room, ChatEventMessage message, ReadOnlyMemory<byte> text, List<ChatMember> overflowed)
    {
        foreach (var member in room.Members)
        {
            if (!member.TryEnqueue(new ChatDelivery(member.Join, message, text))) overflowed.Add(member);
        }
    }

    // ---------------------------------------------------------------- presence

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_redis.HeartbeatInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    await BeatAsync(first: false).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsRedisFailure(ex) || ex is FerryException)
                {
                    RedisChatLog.HeartbeatFailed(_log, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task BeatAsync(bool first)
    {
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(RedisChatScripts.Heartbeat,
            [Key("s:" + _serverId + ":alive"), Key("servers")],
            [_prefix, _serverId, (long)_redis.HeartbeatTimeToLive.TotalMilliseconds, Now(), (long)Options.EmptyRoomLifetime.TotalMilliseconds, _prefix + "events",
                LocalMembers]).ConfigureAwait(false))!;
        if ((long)result[1] > 0) RedisChatLog.Swept(_log, (long)result[1]);
        if (Volatile.Read(ref _catchUpBeats) > 0)
        {
            Interlocked.Decrement(ref _catchUpBeats);
            Post(new CatchUp());
        }
        if (!first && (long)result[0] == 0) await ReassertAsync().ConfigureAwait(false);
        PendingLeave[] pending;
        lock (_pendingLeaves)
        {
            pending = [.. _pendingLeaves];
            _pendingLeaves.Clear();
        }
        foreach (var leave in pending) await ReleaseAsync(leave).ConfigureAwait(false);
    }

    // Our presence key had expired: Redis lost its data, or we were cut off long enough to be swept as lost. Our
    // members are still here, so they are written back (a nick someone else took meanwhile stays theirs).
    private async Task ReassertAsync()
    {
        (string Nick, LocalRoom? Room)[] members;
        lock (_gate) members = [.. _nicks.Where(n => string.Equals(n.Value.Nick, n.Key, StringComparison.Ordinal)).Select(n => (n.Key, _memberRooms.GetValueOrDefault(n.Value)))];
        foreach (var (nick, room) in members)
        {
            await Database.ScriptEvaluateAsync(RedisChatScripts.Nick,
                [Key("n:" + RedisChatWire.NickKey(nick)), Key("n:" + RedisChatWire.NickKey(nick)), ServerNicksKey, room is null ? ServerNicksKey : RoomKey(room.Key, "members")],
                [_serverId, nick, "", room?.Key ?? "", _prefix + "events", "", RedisChatWire.NickKey(nick), ""]).ConfigureAwait(false);
            if (room is not null) await Database.HashSetAsync(Key("rooms"), room.Key, room.Name, When.NotExists).ConfigureAwait(false);
        }
        RedisChatLog.Reasserted(_log, members.Length);
    }

    // ---------------------------------------------------------------- Redis access

    private IDatabase Database => _mux?.GetDatabase() ?? throw new FerryException(ProtocolError.Busy, "busy: the chat backend (Redis) is not connected yet");

    private RedisKey ServerNicksKey => Key("s:" + _serverId + ":nicks");

    private RedisKey Key(string rest) => _prefix + rest;

    private RedisKey RoomKey(string roomKey, string part) => _prefix + "r:{" + roomKey + "}:" + part;

    private async Task<RedisResult> RunAsync(string script, RedisKey[] keys, RedisValue[] values)
    {
        var db = Database;
        try
        {
            return await db.ScriptEvaluateAsync(script, keys, values).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            throw Unreachable(ex);
        }
    }

    private async Task PublishAsync(byte[] payload)
    {
        try
        {
            await Database.PublishAsync(_events, payload).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            // A lost presence announcement; who is in the room stays right in Redis (chat.who).
        }
    }

    private static bool IsRedisFailure(Exception ex) => ex is RedisException or RedisTimeoutException or TimeoutException or InvalidCastException;

    private static FerryException Unreachable(Exception ex) => ex switch
    {
        RedisServerException or InvalidCastException => new(ProtocolError.Busy, $"busy: chat backend (Redis) failed: {LogText.Escape(ex.Message, 200)}"),
        _ => new(ProtocolError.Busy, $"busy: chat backend (Redis) unreachable: {LogText.Escape(ex.Message, 200)}; try again when it is back"),
    };

    private static List<string> Names(RedisResult[]? values) =>
        [.. (values ?? []).Take(MaxListed).Select(v => (string?)v).Where(n => RedisChatWire.IsName(n, 64)).Select(n => n!)];

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private int LocalMembers
    {
        get
        {
            lock (_gate) return _memberRooms.Count;
        }
    }

    private sealed class LocalRoom(string key, string name, int historySize)
    {
        public string Key { get; } = key;

        public string Name { get; } = name;

        public string Epoch { get; set; } = "";

        public long LastSeq { get; set; }

        public int Joining { get; set; }

        public List<ChatMember> Members { get; } = [];

        /// <summary>The last messages delivered here, oldest first: the history a join gets and what a resume is checked against.</summary>
        public Queue<ChatDelivery> History { get; } = new();

        public TaskCompletionSource Loaded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Remember(ChatDelivery message)
        {
            if (historySize == 0) return;
            History.Enqueue(message);
            while (History.Count > historySize) History.Dequeue();
        }
    }

    private sealed record PendingLeave(string Nick, string RoomKey, string Release, byte[] Payload);

    private abstract record Work;

    private sealed record Published(byte[] Payload, bool Inbox) : Work;

    private sealed record LoadRoom(LocalRoom Room) : Work;

    private sealed record CatchUp : Work;
}

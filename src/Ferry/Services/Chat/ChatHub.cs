using Ferry.Protocol;
using Ferry.Contracts.Chat;

namespace Ferry.Services.Chat;

/// <summary>
/// The chat's one piece of shared state: rooms, their members and history, and the nicks in use on this server.
/// Everything happens under one lock, which is cheap because fan-out only queues (never writes to a socket):
/// every member of a room therefore sees that room's events in the same order. Members whose queue overflows
/// are disconnected after the lock is released. A room that is left empty keeps its history for
/// <see cref="ChatOptions.EmptyRoomLifetime"/>, then it is freed; each user may have created at most
/// <see cref="ChatOptions.MaxRoomsPerUser"/> rooms that still exist.
/// </summary>
public sealed class ChatHub : IDisposable, IChatHub
{
    private readonly object _gate = new();
    private readonly Dictionary<string, ChatMember> _nicks = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ChatRoom> _rooms = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _createdBy = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;

    /// <summary>An empty hub with <paramref name="options"/>; <paramref name="time"/> drives room expiry (the system clock when null).</summary>
    public ChatHub(ChatOptions options, TimeProvider? time = null)
    {
        Options = options;
        _time = time ?? TimeProvider.System;
        // The sweep frees expired rooms even when nobody chats. Its callback holds the hub weakly, so a hub that is no
        // longer used (a stopped server) is collected and its timer ends with it.
        var period = TimeSpan.FromTicks(Math.Clamp(options.EmptyRoomLifetime.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        var self = new WeakReference<ChatHub>(this);
        _sweeper = _time.CreateTimer(static state =>
        {
            var (hub, timer) = ((WeakReference<ChatHub>, ITimer?[]))state!;
            if (hub.TryGetTarget(out var target)) target.SweepExpired();
            else timer[0]?.Dispose();
        }, (self, _timerSlot), period, period);
        _timerSlot[0] = _sweeper;
    }

    private readonly ITimer?[] _timerSlot = new ITimer?[1];

    /// <summary>Rooms that exist right now (with members, or empty with unexpired history).</summary>
    public int RoomCount
    {
        get
        {
            lock (_gate) return _rooms.Count;
        }
    }

    /// <summary>The limits the hub enforces.</summary>
    public ChatOptions Options { get; }

    /// <summary>Members disconnected because their send queue overflowed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    private long _dropped;

    /// <summary>Claims or changes <paramref name="member"/>'s nick, announcing a change to its room.</summary>
    public string SetNick(ChatMember member, string? requested)
    {
        var nick = ChatText.ValidateName(requested, "nick", Options.MaxNickLength);
        var overflowed = new List<ChatMember>();
        lock (_gate)
        {
            if (_nicks.TryGetValue(nick, out var holder))
            {
                if (ReferenceEquals(holder, member))
                {
                    if (string.Equals(member.Nick, nick, StringComparison.Ordinal)) return nick;
                }
                else
                {
                    throw new FerryException(ProtocolError.AlreadyExists, $"the nick '{nick}' is taken on this server; choose another (chat.nick, or 'nick' on chat.join)");
                }
            }
            var old = member.Nick;
            if (old is not null) _nicks.Remove(old);
            _nicks[nick] = member;
            member.Nick = nick;
            if (old is not null && member.Room is { } room)
            {
                Broadcast(room, new ChatEventMessage { Kind = "nick", Room = room.Name, From = old, Nick = nick, Time = Now() }, default, overflowed);
            }
        }
        DropAll(overflowed);
        return nick;
    }

    /// <summary>
    /// Moves <paramref name="member"/> into <paramref name="roomName"/>: the answer to the request <paramref name="join"/>,
    /// then the room's history, then the join announcement are queued to it in that order.
    /// </summary>
    public void Join(ChatMember member, string? roomName, string? nick, Server.RequestContext join) =>
        Join(member, new ChatJoinRequest { Room = roomName, Nick = nick }, join);

    private void Join(ChatMember member, ChatJoinRequest request, Server.RequestContext join)
    {
        string? roomName = request.Room, nick = request.Nick;
        var name = ChatText.ValidateName(string.IsNullOrEmpty(roomName) ? "lobby" : roomName, "room", Options.MaxRoomLength);
        if (nick is not null) SetNick(member, nick);
        else if (member.Nick is null) ClaimDefaultNick(member);
        var overflowed = new List<ChatMember>();
        lock (_gate)
        {
            if (member.Nick is null) throw new FerryException(ProtocolError.BadRequest, "this connection has left the chat");
            if (!_rooms.TryGetValue(name, out var room) || IsExpired(room, _time.GetUtcNow()))
            {
                room = CreateRoom(name, member.PrincipalName);
            }
            room.EmptySince = null;
            if (member.Room is { } current) LeaveCore(member, current, "left", overflowed);
            var (history, resumed, reset) = ChatResume.Select(room.History().ToList(), room.LastSeq, room.Epoch, request, d => d.Event!.Seq);
            var reply = new ChatJoinReply
            {
                Room = room.Name,
                Nick = member.Nick,
                Members = [.. room.Members.Select(m => m.Nick!), member.Nick],
                History = history.Count,
                Epoch = room.Epoch,
                Seq = room.LastSeq,
                Resumed = resumed,
                Reset = reset,
            };
            member.Room = room;
            member.Join = join;
            room.Members.Add(member);
            bool fits = member.TryEnqueue(new ChatDelivery(join, null, default, reply));
            foreach (var past in history)
            {
                fits &= member.TryEnqueue(past with { Join = join, Event = past.Event! with { History = true } });
            }
            if (!fits) overflowed.Add(member);
            Broadcast(room, new ChatEventMessage { Kind = "join", Room = room.Name, From = member.Nick, Time = Now() }, default, overflowed);
        }
        DropAll(overflowed);
    }

    /// <summary>Leaves the current room, announcing it; the nick stays claimed.</summary>
    public void Leave(ChatMember member)
    {
        var overflowed = new List<ChatMember>();
        lock (_gate)
        {
            if (member.Room is not { } room) throw new FerryException(ProtocolError.NotFound, "you are not in a room; join one first (chat.join)");
            LeaveCore(member, room, "left", overflowed);
        }
        DropAll(overflowed);
    }

    /// <summary>Sends <paramref name="text"/> to everyone in the member's room (itself included); returns its sequence number.</summary>
    public long Say(ChatMember member, string? roomName, ReadOnlyMemory<byte> text)
    {
        var overflowed = new List<ChatMember>();
        long seq;
        lock (_gate)
        {
            if (member.Room is not { } room) throw new FerryException(ProtocolError.NotFound, "you are not in a room; join one first (chat.join)");
            if (!string.IsNullOrEmpty(roomName) && !string.Equals(roomName, room.Name, StringComparison.OrdinalIgnoreCase))
            {
                throw new FerryException(ProtocolError.NotFound, $"you are in '{room.Name}', not '{ChatText.StripControls(roomName)}'; join it first");
            }
            seq = ++room.LastSeq;
            var message = new ChatEventMessage { Kind = "message", Room = room.Name, From = member.Nick, Time = Now(), Seq = seq, Epoch = room.Epoch };
            room.Remember(new ChatDelivery(default, message, text));
            Broadcast(room, message, text, overflowed);
        }
        DropAll(overflowed);
        return seq;
    }

    /// <summary>Sends a private message to the member holding <paramref name="to"/>.</summary>
    public void Private(ChatMember member, string? to, ReadOnlyMemory<byte> text)
    {
        var target = ChatText.ValidateName(to, "nick", Options.MaxNickLength);
        bool overflowed;
        ChatMember? recipient;
        lock (_gate)
        {
            if (member.Nick is null) throw new FerryException(ProtocolError.BadRequest, "choose a nick before sending private messages (chat.nick or chat.join)");
            if (!_nicks.TryGetValue(target, out recipient) || recipient.Room is null)
            {
                throw new FerryException(ProtocolError.NotFound, $"nobody called '{target}' is in a room on this server (chat.who lists a room's members)");
            }
            var message = new ChatEventMessage { Kind = "private", Room = recipient.Room.Name, From = member.Nick, To = recipient.Nick, Time = Now() };
            overflowed = !recipient.TryEnqueue(new ChatDelivery(recipient.Join, message, text));
        }
        if (overflowed) DropAll([recipient]);
    }

    /// <summary>The nicks in <paramref name="roomName"/> (or the member's room).</summary>
    public ChatWhoMessage Who(ChatMember member, string? roomName)
    {
        lock (_gate)
        {
            var name = string.IsNullOrEmpty(roomName) ? member.Room?.Name : ChatText.ValidateName(roomName, "room", Options.MaxRoomLength);
            if (name is null) throw new FerryException(ProtocolError.BadRequest, "you are not in a room; name one (chat.who with 'room')");
            if (!_rooms.TryGetValue(name, out var room) || IsExpired(room, _time.GetUtcNow())) throw new FerryException(ProtocolError.NotFound, $"there is no room '{name}' (chat.rooms lists them)");
            return new ChatWhoMessage { Room = room.Name, Members = [.. room.Members.Select(m => m.Nick!)] };
        }
    }

    /// <summary>Every room with its member count, busiest first.</summary>
    public ChatRoomsReply Rooms()
    {
        lock (_gate)
        {
            SweepExpiredCore(_time.GetUtcNow());
            return new ChatRoomsReply
            {
                Rooms = [.. _rooms.Values.OrderByDescending(r => r.Members.Count).ThenBy(r => r.Name, StringComparer.OrdinalIgnoreCase)
                    .Select(r => new ChatRoomInfo(r.Name, r.Members.Count))],
            };
        }
    }

    /// <summary>Takes the member out of its room (announced with <paramref name="reason"/>) and frees its nick.</summary>
    public void Remove(ChatMember member, string reason)
    {
        var overflowed = new List<ChatMember>();
        lock (_gate)
        {
            if (member.Room is { } room) LeaveCore(member, room, reason, overflowed);
            if (member.Nick is { } nick && _nicks.TryGetValue(nick, out var holder) && ReferenceEquals(holder, member)) _nicks.Remove(nick);
            member.Nick = null;
        }
        DropAll(overflowed);
    }

    ValueTask<string> IChatHub.SetNickAsync(ChatMember member, string? requested) => ValueTask.FromResult(SetNick(member, requested));

    ValueTask IChatHub.JoinAsync(ChatMember member, ChatJoinRequest request, Server.RequestContext join)
    {
        Join(member, request, join);
        return ValueTask.CompletedTask;
    }

    ValueTask IChatHub.LeaveAsync(ChatMember member)
    {
        Leave(member);
        return ValueTask.CompletedTask;
    }

    ValueTask<long> IChatHub.SayAsync(ChatMember member, string? roomName, ReadOnlyMemory<byte> text) => ValueTask.FromResult(Say(member, roomName, text));

    ValueTask IChatHub.PrivateAsync(ChatMember member, string? to, ReadOnlyMemory<byte> text)
    {
        Private(member, to, text);
        return ValueTask.CompletedTask;
    }

    ValueTask<ChatWhoMessage> IChatHub.WhoAsync(ChatMember member, string? roomName) => ValueTask.FromResult(Who(member, roomName));

    ValueTask<ChatRoomsReply> IChatHub.RoomsAsync() => ValueTask.FromResult(Rooms());

    ValueTask IChatHub.RemoveAsync(ChatMember member, string reason)
    {
        Remove(member, reason);
        return ValueTask.CompletedTask;
    }

    private void ClaimDefaultNick(ChatMember member)
    {
        var baseName = ChatText.StripControls(member.PrincipalName);
        for (int n = 1; n < 1000; n++)
        {
            var candidate = n == 1 ? baseName : $"{baseName}-{n}";
            try
            {
                SetNick(member, candidate);
                return;
            }
            catch (FerryException ex) when (ex.Error == ProtocolError.AlreadyExists)
            {
                // Try the next suffix.
            }
        }
        throw new FerryException(ProtocolError.Busy, "could not find a free default nick; choose one with chat.nick");
    }

    private void LeaveCore(ChatMember member, ChatRoom room, string reason, List<ChatMember> overflowed)
    {
        Broadcast(room, new ChatEventMessage { Kind = "leave", Room = room.Name, From = member.Nick, Time = Now(), Reason = reason }, default, overflowed);
        room.Members.Remove(member);
        member.Room = null;
        member.Join.End(); // the join's id is free: the membership was its exchange
        if (room.Members.Count > 0) return;
        if (room.HistoryCount == 0) RemoveRoom(room);
        else room.EmptySince = _time.GetUtcNow();
    }

    // Called under the lock. Expired rooms are freed first, so caps count only rooms that really exist.
    private ChatRoom CreateRoom(string name, string creator)
    {
        var now = _time.GetUtcNow();
        SweepExpiredCore(now);
        if (_rooms.Count >= Options.MaxRooms)
        {
            throw new FerryException(ProtocolError.Busy,
                $"busy: this server already has {Options.MaxRooms} rooms (its chat room cap); join an existing one (chat.rooms lists them), or wait: empty rooms are freed {Describe(Options.EmptyRoomLifetime)} after their last member leaves");
        }
        _createdBy.TryGetValue(creator, out int created);
        if (created >= Options.MaxRoomsPerUser)
        {
            throw new FerryException(ProtocolError.Busy,
                $"busy: '{ChatText.StripControls(creator)}' already created {created} rooms that still exist (the server's --chat-max-rooms-per-user is {Options.MaxRoomsPerUser}); join an existing room, or wait: empty rooms are freed {Describe(Options.EmptyRoomLifetime)} after their last member leaves");
        }
        var room = new ChatRoom(name, Options.HistorySize, creator) { Epoch = ChatResume.NewEpoch() };
        _rooms[name] = room;
        _createdBy[creator] = created + 1;
        return room;
    }

    private void RemoveRoom(ChatRoom room)
    {
        if (!_rooms.TryGetValue(room.Name, out var current) || !ReferenceEquals(current, room)) return;
        _rooms.Remove(room.Name);
        if (_createdBy.TryGetValue(room.Creator, out int created))
        {
            if (created <= 1) _createdBy.Remove(room.Creator);
            else _createdBy[room.Creator] = created - 1;
        }
    }

    private bool IsExpired(ChatRoom room, DateTimeOffset now) =>
        room.Members.Count == 0 && room.EmptySince is { } since && now - since >= Options.EmptyRoomLifetime;

    /// <summary>Frees every room whose members all left longer than <see cref="ChatOptions.EmptyRoomLifetime"/> ago, history and all.</summary>
    public void SweepExpired()
    {
        lock (_gate) SweepExpiredCore(_time.GetUtcNow());
    }

    private void SweepExpiredCore(DateTimeOffset now)
    {
        List<ChatRoom>? expired = null;
        foreach (var room in _rooms.Values)
        {
            if (IsExpired(room, now)) (expired ??= []).Add(room);
        }
        if (expired is null) return;
        foreach (var room in expired) RemoveRoom(room);
    }

    private static string Describe(TimeSpan span) =>
        span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0.#} s";

    /// <summary>Stops the timer that removes empty rooms.</summary>
    public void Dispose() => _sweeper.Dispose();

    private static void Broadcast(ChatRoom room, ChatEventMessage message, ReadOnlyMemory<byte> text, List<ChatMember> overflowed)
    {
        foreach (var member in room.Members)
        {
            if (!member.TryEnqueue(new ChatDelivery(member.Join, message, text))) overflowed.Add(member);
        }
    }

    private void DropAll(List<ChatMember> overflowed)
    {
        foreach (var member in overflowed)
        {
            var nick = member.Nick;
            if (nick is null) continue; // already removed
            Interlocked.Increment(ref _dropped);
            var reason = $"dropped: not reading fast enough ({Options.SendQueueCapacity} chat events were waiting); reconnect to rejoin";
            Remove(member, reason);
            member.Disconnect($"chat: {nick} was disconnected for not reading fast enough ({Options.SendQueueCapacity} events queued); reconnect to rejoin");
        }
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();
}

using System.Net;
using System.Net.Sockets;
using Ferry.Contracts.Chat;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Datagrams;

/// <summary>
/// The course's UDP chat, made safe (<c>ferry serve --udp-chat PORT</c>): every datagram must carry a valid HMAC
/// and a fresh timestamp + nonce, or it is ignored. Any valid datagram (join, keep-alive ping, say) registers its
/// sender in its room; a <c>say</c> is relayed, re-signed by the server, to the room's other members heard from
/// within <see cref="UdpChatOptions.MemberTimeout"/>. UDP may lose or reorder messages; nothing is retried.
/// </summary>
public sealed class UdpChatRelay : BackgroundService
{
    private readonly Socket _socket;
    private readonly UdpChatOptions _options;
    private readonly byte[] _key;
    private readonly ILogger _logger;
    private readonly UdpReplayGuard _replay;
    private readonly TimeProvider _time;
    private readonly Dictionary<IPEndPoint, UdpChatMember> _members = [];
    private long _relayed, _ignored;

    /// <summary>A relay with <paramref name="options"/> whose packets are authenticated with <paramref name="key"/>; it binds when started.</summary>
    public UdpChatRelay(UdpChatOptions options, byte[] key, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options.EndPoint);
        _options = options;
        _key = key;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _replay = new UdpReplayGuard(options.ReplayWindow, _time);
        _socket = new Socket(options.EndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        UdpBinding.Bind(_socket, options.EndPoint);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    /// <summary>The bound address (with the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Datagrams sent on to members.</summary>
    public long Relayed => Interlocked.Read(ref _relayed);

    /// <summary>Datagrams dropped as forged, replayed, oversized or malformed.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>Relays datagrams until <paramref name="stoppingToken"/> fires.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        DatagramLog.UdpChatListening(_logger, LocalEndPoint);
        var buffer = GC.AllocateUninitializedArray<byte>(_options.MaxDatagram + 1, pinned: true);
        EndPoint any = new IPEndPoint(LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!stoppingToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue; // ICMP unreachable from an earlier send, or an oversized datagram
            }
            var from = (IPEndPoint)received.RemoteEndPoint;
            if (received.ReceivedBytes > _options.MaxDatagram)
            {
                Ignore(from, $"over the {_options.MaxDatagram}-byte limit");
                continue;
            }
            if (!UdpChatPacket.TryDecode(buffer.AsSpan(0, received.ReceivedBytes), _key, out var packet, out var error)
                || !IsMemberInput(packet!, out error)
                || !_replay.TryAccept(packet!, out error))
            {
                Ignore(from, error);
                continue;
            }
            try
            {
                await HandleAsync(from, packet!, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException ex)
            {
                DatagramLog.UdpChatSendFailed(_logger, ex);
            }
        }
    }

    private async Task HandleAsync(IPEndPoint from, UdpChatPacket packet, CancellationToken ct)
    {
        if (!IsValidName(packet.Room) || !IsValidName(packet.Nick) || (packet.Text is { } t && !IsValidText(t)))
        {
            Ignore(from, "bad room, nick or text");
            return;
        }
        var now = _time.GetUtcNow();
        var announcements = new List<UdpChatPacket>(2);
        IPEndPoint[] recipients;
        lock (_members)
        {
            Expire(now);
            if (packet.Kind == "leave")
            {
                if (_members.Remove(from, out var gone)) announcements.Add(Announce("leave", gone.Room, gone.Nick, null));
                recipients = announcements.Count == 0 ? [] : RoomMembers(announcements[0].Room, from);
            }
            else
            {
                // Any valid datagram registers its sender, so a lost join is repaired by the next keep-alive or message.
                bool isNew = !_members.TryGetValue(from, out var existing) || existing.Room != packet.Room || existing.Nick != packet.Nick;
                _members[from] = new UdpChatMember(packet.Room, packet.Nick, now);
                if (isNew) announcements.Add(Announce("join", packet.Room, packet.Nick, null));
                if (packet.Kind == "say" && packet.Text is not null)
                {
                    announcements.Add(Announce("message", packet.Room, packet.Nick, packet.Text));
                }
                recipients = announcements.Count == 0 ? [] : RoomMembers(packet.Room, from);
            }
        }
        foreach (var announcement in announcements)
        {
            var datagram = announcement.Encode(_key);
            foreach (var to in recipients)
            {
                await _socket.SendToAsync(datagram, SocketFlags.None, to, ct).ConfigureAwait(false);
                Interlocked.Increment(ref _relayed);
            }
        }
    }

    // Only what a member may send: its direction is up and its kind one of the member kinds. A relay datagram (down,
    // or a relayed kind) sent back here by whoever overheard it would otherwise register that address as a member.
    private static bool IsMemberInput(UdpChatPacket packet, out string error)
    {
        if (packet.Direction != UdpChatPacket.Up)
        {
            error = "a relay datagram ('dir' down) sent back to the relay: reflected, not member input";
            return false;
        }
        if (packet.Kind is not ("join" or "ping" or "say" or "leave"))
        {
            error = "not a member's kind (join, ping, say or leave)";
            return false;
        }
        error = "";
        return true;
    }

    // Relay output goes down, and its nonce is remembered as seen: the same bytes coming back are a replay.
    private UdpChatPacket Announce(string kind, string room, string nick, string? text)
    {
        var packet = UdpChatPacket.Create(kind, room, nick, text, _time, UdpChatPacket.Down);
        _replay.Remember(packet);
        return packet;
    }

    private IPEndPoint[] RoomMembers(string room, IPEndPoint except) =>
        [.. _members.Where(m => m.Value.Room == room && !m.Key.Equals(except)).Select(m => m.Key)];

    private void Expire(DateTimeOffset now)
    {
        foreach (var (endPoint, member) in _members)
        {
            if (now - member.LastHeard > _options.MemberTimeout) _members.Remove(endPoint);
        }
    }

    private void Ignore(IPEndPoint from, string why)
    {
        Interlocked.Increment(ref _ignored);
        DatagramLog.UdpChatIgnored(_logger, from, Protocol.LogText.Escape(why));
    }

    private static bool IsValidName(string name) => name.Length is > 0 and <= 64 && name.All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.');

    private static bool IsValidText(string text) => text.Length > 0 && !text.Any(ChatText.IsControl);

    /// <summary>Closes the socket.</summary>
    public override void Dispose()
    {
        _socket.Dispose();
        base.Dispose();
    }

    private sealed record UdpChatMember(string Room, string Nick, DateTimeOffset LastHeard);
}

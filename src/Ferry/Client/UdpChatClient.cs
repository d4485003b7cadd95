using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Ferry.Datagrams;
using Ferry.Protocol;

namespace Ferry.Client;

/// <summary>
/// A member of a UDP chat room (<c>ferry serve --udp-chat</c>): each message is one signed datagram; a keep-alive
/// every <see cref="KeepAliveInterval"/> keeps the relay sending to us. UDP may lose or reorder messages.
/// </summary>
public sealed class UdpChatClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _key;
    private readonly UdpReplayGuard _replay;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _keepAlive;

    private UdpChatClient(Socket socket, byte[] key, string room, string nick, int maxDatagram)
    {
        _socket = socket;
        _key = key;
        Room = room;
        Nick = nick;
        MaxDatagram = maxDatagram;
        _replay = new UdpReplayGuard(TimeSpan.FromSeconds(60));
        _keepAlive = KeepAliveAsync();
    }

    /// <summary>How often an idle client tells the relay it is still there, so it stays in the room.</summary>
    public static TimeSpan KeepAliveInterval { get; } = TimeSpan.FromSeconds(30);

    /// <summary>The room this client is in.</summary>
    public string Room { get; }

    /// <summary>The nick this client sends as.</summary>
    public string Nick { get; }

    /// <summary>The largest datagram sent or accepted, in bytes.</summary>
    public int MaxDatagram { get; }

    /// <summary>Datagrams received and dropped as forged, replayed or malformed.</summary>
    public long Ignored { get; private set; }

    /// <summary>Opens a socket towards the relay and sends the join datagram.</summary>
    public static async Task<UdpChatClient> JoinAsync(IPEndPoint relay, byte[] key, string room, string nick,
        int maxDatagram = UdpChatPacket.DefaultMaxDatagram, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(relay.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            await socket.ConnectAsync(relay, cancellationToken).ConfigureAwait(false);
            var client = new UdpChatClient(socket, key, room, nick, maxDatagram);
            await client.SendAsync("join", null, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one message. Refused here, before sending, when it would not fit one datagram.</summary>
    public Task SayAsync(string text, CancellationToken cancellationToken = default) => SendAsync("say", text, cancellationToken);

    /// <summary>Tells the relay we are gone (best effort: UDP may lose it; the relay forgets us after a few minutes anyway).</summary>
    public Task LeaveAsync(CancellationToken cancellationToken = default) => SendAsync("leave", null, cancellationToken);

    /// <summary>Relayed events, valid ones only, until disposed.</summary>
    public async IAsyncEnumerable<ChatEvent> ReadEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var buffer = new byte[MaxDatagram + 1];
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        while (true)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(buffer, SocketFlags.None, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                yield break;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue; // the relay was briefly unreachable; UDP carries on
            }
            // Only the relay's output (direction down): a member's own datagram bounced back is not an event.
            if (n > MaxDatagram || !UdpChatPacket.TryDecode(buffer.AsSpan(0, n), _key, out var packet, out _)
                || packet!.Direction != UdpChatPacket.Down || !_replay.TryAccept(packet, out _))
            {
                Ignored++;
                continue;
            }
            yield return new ChatEvent(packet.Kind, packet.Room, packet.Nick, DateTimeOffset.FromUnixTimeMilliseconds(packet.Timestamp), packet.Text);
        }
    }

    private async Task SendAsync(string kind, string? text, CancellationToken cancellationToken)
    {
        var datagram = UdpChatPacket.Create(kind, Room, Nick, text).Encode(_key);
        if (datagram.Length > MaxDatagram)
        {
            int over = datagram.Length - MaxDatagram;
            throw new FerryException(ProtocolError.BadRequest,
                $"message too long for one UDP datagram: {datagram.Length} bytes signed, the limit is {MaxDatagram}; shorten it by at least {over} bytes (about {Encoding.UTF8.GetByteCount(text ?? "") - over} bytes of text fit)");
        }
        await _socket.SendAsync(datagram, SocketFlags.None, cancellationToken).ConfigureAwait(false);
    }

    private async Task KeepAliveAsync()
    {
        using var timer = new PeriodicTimer(KeepAliveInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await SendAsync("ping", null, _stop.Token).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    // Relay unreachable for now; the next keep-alive tries again.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    /// <summary>Says goodbye to the relay (best effort) and closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _keepAlive.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Dispose();
        _stop.Dispose();
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Datagrams;

/// <summary>
/// Raw UDP echo (<c>ferry serve --udp-echo PORT</c>): one reply per datagram. A datagram larger than the limit
/// is never echoed cut short; the sender gets an error reply naming the limit instead.
/// </summary>
public sealed class UdpEchoListener : BackgroundService
{
    private readonly Socket _socket;
    private readonly int _maxDatagram;
    private readonly ILogger _logger;

    /// <summary>A UDP echo on <paramref name="endPoint"/> that answers datagrams of up to <paramref name="maxDatagram"/> bytes.</summary>
    public UdpEchoListener(EndPoint endPoint, int maxDatagram, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagram, 1);
        _maxDatagram = maxDatagram;
        _logger = logger;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        UdpBinding.Bind(_socket, endPoint);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    /// <summary>The bound address (with the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Datagrams echoed so far.</summary>
    public long Echoed { get; private set; }

    /// <summary>Echoes datagrams until <paramref name="stoppingToken"/> fires.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // One byte more than the limit tells "exactly at the limit" from "over it"; the kernel cuts the rest.
        var buffer = GC.AllocateUninitializedArray<byte>(Math.Min(_maxDatagram + 1, 65536), pinned: true);
        EndPoint any = new IPEndPoint(LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!stoppingToken.IsCancellationRequested)
        {
            SocketReceiveMessageFromResult received;
            try
            {
                received = await _socket.ReceiveMessageFromAsync(buffer, SocketFlags.None, any, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                // ICMP port-unreachable from an earlier reply, or an oversized datagram on platforms that report it here.
                continue;
            }
            try
            {
                bool truncated = (received.SocketFlags & SocketFlags.Truncated) != 0 || received.ReceivedBytes > _maxDatagram;
                if (truncated)
                {
                    var error = Encoding.UTF8.GetBytes($"ferry: error: datagram over the {_maxDatagram}-byte limit; nothing echoed\n");
                    await _socket.SendToAsync(error, SocketFlags.None, received.RemoteEndPoint, stoppingToken).ConfigureAwait(false);
                    continue;
                }
                await _socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, received.RemoteEndPoint, stoppingToken).ConfigureAwait(false);
                Echoed++;
            }
            catch (SocketException ex)
            {
                DatagramLog.UdpEchoReplyFailed(_logger, ex, received.RemoteEndPoint);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Closes the socket.</summary>
    public override void Dispose()
    {
        _socket.Dispose();
        base.Dispose();
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Ferry.Datagrams;

namespace Ferry.Client;

/// <summary>
/// An SNTP client (RFC 4330): asks any NTP server — Ferry's or a public one — for the time over UDP and works
/// out the clock offset and round-trip delay from the four timestamps of each exchange.
/// </summary>
public static class SntpClient
{
    private const int ECONNREFUSED = 111;

    /// <summary>
    /// Sends <see cref="SntpQueryOptions.Samples"/> requests (each retried on loss) and returns the sample with the
    /// least delay. Replies whose origin timestamp is not our request's transmit timestamp are ignored; a
    /// kiss-o'-death or an unsynchronized server ends the query with an <see cref="SntpException"/>.
    /// </summary>
    public static async Task<SntpQueryResult> QueryAsync(SntpQueryOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Samples, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Attempts, 1);
        var server = new IPEndPoint(await ResolveAsync(options.Host, cancellationToken).ConfigureAwait(false), options.Port);
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // Connected: the kernel passes on only the server's datagrams, and reports ICMP port-unreachable.
        socket.Connect(server);
        await using var closeOnCancel = cancellationToken.Register(socket.Dispose).ConfigureAwait(false);
        // T4 from the kernel's arrival time where it gives one (on the system clock only: tests shift ours).
        using var receiver = ReferenceEquals(options.Clock, TimeProvider.System) ? KernelTimestampReceiver.TryCreate(socket, options.Timeout) : null;

        var samples = new List<SntpSample>();
        SntpPacket bestReply = default;
        int sent = 0;
        int mismatched = 0;
        for (int i = 0; i < options.Samples; i++)
        {
            if (i > 0 && options.Interval > TimeSpan.Zero) await Task.Delay(options.Interval, options.Clock, cancellationToken).ConfigureAwait(false);
            for (int attempt = 0; attempt < options.Attempts; attempt++)
            {
                sent++;
                // Blocking calls on a pool thread: T4 is read the moment the kernel wakes us, not after a hop.
                var exchange = await Task.Run(() => Exchange(socket, receiver, server, options), cancellationToken).ConfigureAwait(false);
                mismatched += exchange.Mismatched;
                if (exchange.Sample is not { } sample) continue;
                if (samples.Count == 0 || sample.Delay < samples.MinBy(s => s.Delay).Delay) bestReply = exchange.Reply;
                samples.Add(sample);
                break;
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (samples.Count == 0)
        {
            if (mismatched > 0)
            {
                throw new SntpException(SntpFailure.OriginMismatch,
                    $"{mismatched} replies from {server} did not match our requests (their origin timestamp is not the one we sent): " +
                    "rejected; something other than a proper NTP server answers on that port");
            }
            throw new SntpException(SntpFailure.NoReply,
                $"no reply from {options.Host} ({server}) to {sent} requests, waiting {options.Timeout.TotalSeconds:0.###} s for each: " +
                $"check the host and the port (NTP is UDP {SntpQueryOptions.DefaultPort}), and that no firewall drops UDP");
        }
        return new SntpQueryResult(server, bestReply, samples.MinBy(s => s.Delay), samples, sent);
    }

    private static (SntpSample? Sample, SntpPacket Reply, int Mismatched) Exchange(Socket socket, KernelTimestampReceiver? receiver, IPEndPoint server, SntpQueryOptions options)
    {
        Span<byte> request = stackalloc byte[SntpPacket.Size];
        Span<byte> buffer = stackalloc byte[1024];
        int mismatched = 0;
        SntpPacket.ClientRequest(default, options.Version).Write(request);
        var t1 = Now(options.Clock);
        SntpPacket.WriteTimestamp(request, SntpPacket.TransmitOffset, t1);
        try
        {
            socket.Send(request);
            long deadline = Stopwatch.GetTimestamp() + (long)(options.Timeout.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                long left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0) return (null, default, mismatched);
                int received;
                NtpTimestamp t4 = default;
                if (receiver is not null)
                {
                    received = receiver.Receive(buffer, null, out t4);
                    if (received == -ECONNREFUSED) throw new SocketException((int)SocketError.ConnectionRefused);
                    if (received < 0) return (null, default, mismatched);
                }
                else
                {
                    socket.ReceiveTimeout = Math.Max(1, (int)Math.Ceiling(left * 1000.0 / Stopwatch.Frequency));
                    received = socket.Receive(buffer);
                }
                if (t4.IsZero) t4 = Now(options.Clock);
                if (!SntpPacket.TryRead(buffer[..received], out var reply) || reply.Mode != SntpMode.Server) continue;
                if (reply.OriginTime != t1)
                {
                    // A late reply to an earlier request, or someone guessing: never trust it.
                    mismatched++;
                    continue;
                }
                if (reply.IsKissOfDeath)
                {
                    var code = reply.ReferenceIdText;
                    throw new SntpException(SntpFailure.KissOfDeath, code switch
                    {
                        "RATE" => $"{server} sent a kiss-o'-death RATE: it rate-limits this address; wait a while and ask less often (fewer --samples)",
                        "DENY" or "RSTR" => $"{server} sent a kiss-o'-death {code}: it refuses to serve this address",
                        _ => $"{server} sent a kiss-o'-death '{code}': it will not answer with the time",
                    }) { KissCode = code };
                }
                if (reply.Leap == SntpLeap.Unsynchronized || reply.Stratum > 15 || reply.TransmitTime.IsZero)
                {
                    throw new SntpException(SntpFailure.Unsynchronized,
                        $"{server} says its own clock is not synchronized (leap indicator {(int)reply.Leap}, stratum {reply.Stratum}): its time cannot be trusted");
                }
                return (new SntpSample(t1, reply.ReceiveTime, reply.TransmitTime, t4), reply, mismatched);
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return (null, default, mismatched);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
        {
            throw new SntpException(SntpFailure.Refused, $"{server} refused: nothing listens on UDP port {server.Port} there (is the NTP server running, on that port?)");
        }
    }

    private static NtpTimestamp Now(TimeProvider clock) => NtpTimestamp.FromDateTime(clock.GetUtcNow().UtcDateTime);

    private static async Task<IPAddress> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        if (IPAddress.TryParse(host, out var address)) return address;
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
                ?? throw new SntpException(SntpFailure.Unresolved, $"'{host}' has no address");
        }
        catch (SocketException ex)
        {
            throw new SntpException(SntpFailure.Unresolved, $"cannot resolve '{host}': {ex.Message}");
        }
    }
}

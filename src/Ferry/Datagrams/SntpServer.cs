using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Datagrams;

/// <summary>
/// An SNTP server (<c>ferry serve --ntp PORT</c>, RFC 4330 / RFC 5905 server mode) that serves this machine's
/// clock as a local reference. It answers only well-formed client requests — exactly 48 bytes, mode 3,
/// version 3 or 4, a transmit timestamp to echo — with a reply of the same size, and drops everything else
/// (control queries of modes 6 and 7 included), so it cannot be used to amplify traffic. An optional
/// per-address rate limit answers excess requests with a RATE kiss-o'-death, again of the same size.
/// </summary>
/// <remarks>
/// One dedicated thread does blocking receive/send on the socket: a datagram server has no per-client state to
/// multiplex, and blocking calls skip the event loop, which both raises throughput and lets the receive
/// timestamp be taken the moment the kernel hands the datagram over. The transmit timestamp is written last,
/// just before the send.
/// </remarks>
public sealed class SntpServer : BackgroundService
{
    private const sbyte MinPoll = 4;
    private const sbyte MaxPoll = 17;
    private const int EBADF = 9;
    private static readonly uint s_rateKiss = SntpPacket.ReferenceIdFromText("RATE");

    private readonly SntpServerOptions _options;
    private readonly ILogger _logger;
    private readonly Socket _socket;
    private readonly TimeProvider _clock;
    private readonly uint _referenceId;
    private readonly SntpRateLimiter? _limiter;
    private long _answered;
    private long _kissed;
    private long _dropped;

    /// <summary>An SNTP server with <paramref name="options"/>; it binds when started.</summary>
    public SntpServer(SntpServerOptions options, ILogger logger)
    {
        options.Validate();
        _options = options;
        _logger = logger;
        _clock = options.Clock;
        _referenceId = SntpPacket.ReferenceIdFromText(options.ReferenceId);
        if (options.RatePerSource > 0) _limiter = new SntpRateLimiter(options.RatePerSource, _clock.TimestampFrequency);
        _socket = new Socket(options.EndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (options.EndPoint.AddressFamily == AddressFamily.InterNetworkV6) _socket.DualMode = true;
        // Room for bursts: 32 clients in flight each is a few KB; the default 208 KB queue drops under floods.
        _socket.ReceiveBufferSize = 4 << 20;
        UdpBinding.Bind(_socket, options.EndPoint);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    /// <summary>The bound address (with the real port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Requests answered with the time.</summary>
    public long Answered => Volatile.Read(ref _answered);

    /// <summary>Requests answered with a RATE kiss-o'-death.</summary>
    public long KissedOff => Volatile.Read(ref _kissed);

    /// <summary>Datagrams dropped unanswered (not a well-formed client request).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Whether receive timestamps come from the kernel (SO_TIMESTAMPNS) rather than a clock read after the receive.</summary>
    public bool KernelTimestamps { get; private set; }

    /// <summary>The clock's precision as log2 seconds: DateTime's 100 ns tick is 2^-23.3 s.</summary>
    internal static sbyte Precision => -23;

    /// <summary>Answers requests until <paramref name="stoppingToken"/> fires.</summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Serve(stoppingToken);
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                DatagramLog.SntpStopped(_logger, ex, LocalEndPoint);
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "ferry-sntp",
        };
        // Closing the socket wakes the blocked receive at once; the receive timeout is the backstop.
        stoppingToken.Register(() => _socket.Close());
        thread.Start();
        DatagramLog.SntpListening(_logger, LocalEndPoint,
            _options.Stratum, _options.ReferenceId, _limiter is null ? "" : $", {_options.RatePerSource:0.##} requests/s per address");
        return done.Task;
    }

    private void Serve(CancellationToken stoppingToken)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(65536, pinned: true);
        var reply = GC.AllocateArray<byte>(SntpPacket.Size, pinned: true);
        var source = new SocketAddress(_socket.AddressFamily);
        var status = new ClockStatusCache(_clock);
        _socket.ReceiveTimeout = 500;
        // Kernel arrival times are on the system clock, so only when serving it (tests shift the server's clock).
        using var receiver = ReferenceEquals(_clock, TimeProvider.System) ? KernelTimestampReceiver.TryCreate(_socket, TimeSpan.FromMilliseconds(500)) : null;
        KernelTimestamps = receiver is not null;
        DatagramLog.SntpTimestampSource(_logger, receiver is null ? "the clock after each receive" : "the kernel (SO_TIMESTAMPNS)");
        while (!stoppingToken.IsCancellationRequested)
        {
            int received;
            NtpTimestamp receiveTime;
            try
            {
                if (receiver is not null)
                {
                    received = receiver.Receive(buffer, source, out receiveTime);
                    if (receiveTime.IsZero) receiveTime = Now();
                    if (received < 0)
                    {
                        // Timeout (a chance to see the stop token), a stale ICMP error, or the socket closing.
                        if (received == -EBADF) break;
                        continue;
                    }
                }
                else
                {
                    received = _socket.ReceiveFrom(buffer, SocketFlags.None, source);
                    receiveTime = Now();
                }
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock
                or SocketError.ConnectionReset or SocketError.MessageSize)
            {
                // Idle, an ICMP error from an earlier reply, or an oversized datagram on platforms that report it here.
                continue;
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException && stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException ex)
            {
                // Anything else the network stack reports is about one datagram, not the server: keep serving.
                DatagramLog.SntpReceiveFailed(_logger, ex);
                continue;
            }

            if (!TryReadRequest(buffer.AsSpan(0, received), out byte first, out sbyte poll, out var clientTransmit))
            {
                _dropped++;
                continue;
            }
            int version = (first >> 3) & 7;
            bool kiss = _limiter is not null && !_limiter.TryAcquire(source, _clock.GetTimestamp());
            if (kiss)
            {
                WriteKissOfDeath(reply, version, poll, clientTransmit);
            }
            else
            {
                var clock = status.Current(receiveTime);
                new SntpPacket
                {
                    Leap = clock.Leap,
                    Version = version,
                    Mode = SntpMode.Server,
                    Stratum = (byte)_options.Stratum,
                    Poll = poll,
                    Precision = Precision,
                    RootDelay = NtpDuration.Zero,
                    RootDispersion = clock.Dispersion,
                    ReferenceId = _referenceId,
                    ReferenceTime = clock.ReferenceTime,
                    OriginTime = clientTransmit,
                    ReceiveTime = receiveTime,
                }.Write(reply);
            }
            try
            {
                if (!kiss) SntpPacket.WriteTimestamp(reply, SntpPacket.TransmitOffset, Now());
                _socket.SendTo(reply, SocketFlags.None, source);
                if (kiss) _kissed++;
                else _answered++;
            }
            catch (SocketException ex)
            {
                DatagramLog.SntpReplyFailed(_logger, ex);
            }
            catch (ObjectDisposedException)
            {
                break;
            }
        }
    }

    /// <summary>
    /// The checks that make the server safe to expose: a client request of exactly 48 bytes (no extension
    /// fields or MACs, which we cannot verify), version 3 or 4, mode 3, with a transmit timestamp to echo.
    /// </summary>
    internal static bool TryReadRequest(ReadOnlySpan<byte> datagram, out byte first, out sbyte poll, out NtpTimestamp transmit)
    {
        first = 0;
        poll = 0;
        transmit = default;
        if (datagram.Length != SntpPacket.Size) return false;
        first = datagram[0];
        int version = (first >> 3) & 7;
        if ((SntpMode)(first & 7) != SntpMode.Client || version is not (3 or 4)) return false;
        transmit = SntpPacket.ReadTimestamp(datagram, SntpPacket.TransmitOffset);
        if (transmit.IsZero) return false;
        poll = Math.Clamp((sbyte)datagram[2], MinPoll, MaxPoll);
        return true;
    }

    /// <summary>
    /// A RATE kiss (RFC 5905 §7.4): stratum 0, leap 3, the kiss code as reference id and the client's own
    /// timestamp in every field, so it tells no time and costs no clock reads.
    /// </summary>
    private static void WriteKissOfDeath(Span<byte> reply, int version, sbyte poll, NtpTimestamp clientTransmit) => new SntpPacket
    {
        Leap = SntpLeap.Unsynchronized,
        Version = version,
        Mode = SntpMode.Server,
        Stratum = 0,
        Poll = poll,
        Precision = Precision,
        ReferenceId = s_rateKiss,
        OriginTime = clientTransmit,
        ReceiveTime = clientTransmit,
        TransmitTime = clientTransmit,
    }.Write(reply);

    private NtpTimestamp Now() => NtpTimestamp.FromDateTime(_clock.GetUtcNow().UtcDateTime);

    /// <summary>Closes the socket.</summary>
    public override void Dispose()
    {
        _socket.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// The fields that describe the clock rather than one request — leap warning, reference time, dispersion —
    /// refreshed once a second from the kernel. This server is a local reference (like chrony's "local"): its
    /// clock is its own reference, checked each second; the leap indicator carries the kernel's pending leap
    /// second, and the dispersion its estimated error when an NTP daemon keeps the kernel synchronized.
    /// </summary>
    private sealed class ClockStatusCache(TimeProvider clock)
    {
        private readonly long _refreshTicks = clock.TimestampFrequency;
        private long _lastRefresh = long.MinValue;
        private (SntpLeap Leap, NtpTimestamp ReferenceTime, NtpDuration Dispersion) _current;

        public (SntpLeap Leap, NtpTimestamp ReferenceTime, NtpDuration Dispersion) Current(NtpTimestamp now)
        {
            long ticks = clock.GetTimestamp();
            if (_lastRefresh != long.MinValue && ticks - _lastRefresh < _refreshTicks) return _current;
            _lastRefresh = ticks;
            var kernel = ReferenceEquals(clock, TimeProvider.System) ? KernelClock.ReadStatus() : null;
            var dispersion = NtpDuration.FromSeconds(Math.ScaleB(1.0, Precision));
            if (kernel is { Synchronized: true }) dispersion += NtpDuration.FromTimeSpan(kernel.EstimatedError);
            _current = (kernel?.Leap ?? SntpLeap.None, now, dispersion);
            return _current;
        }
    }
}

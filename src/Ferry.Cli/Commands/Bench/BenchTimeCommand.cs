using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Ferry.Datagrams;
using Spectre.Console;

namespace Ferry.Cli.Commands.Bench;

/// <summary>
/// <c>ferry bench time HOST:PORT</c>: keeps K SNTP requests in flight against any NTP server for DURATION seconds
/// and reports answers per second and the spread of the offsets measured.
/// </summary>
internal static class BenchTimeCommand
{
    private const int EAGAIN = 11;
    private const int MaxInflight = 256; // the request's slot rides in the low 8 bits of its transmit timestamp

    public static Command Create(CliContext cli)
    {
        var target = new Argument<string>("HOST:PORT") { Description = "An NTP server (default port 123): Ferry's 'serve --ntp' or e.g. chronyd" };
        var inflight = new Option<int>("--inflight", "-k") { Description = $"Requests in flight (1-{MaxInflight})", DefaultValueFactory = _ => 32 };
        var duration = new Option<double>("--duration", "-d") { Description = "Seconds to measure" + Durations.Hint, CustomParser = Durations.ParseSeconds, DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of load before measuring" + Durations.Hint, CustomParser = Durations.ParseSeconds, DefaultValueFactory = _ => 1 };
        var json = CommonOptions.Json();
        var command = new Command("time", "SNTP requests per second and the spread of measured offsets")
        {
            target, inflight, duration, warmup, json,
        };
        command.SetAction(async (result, ct) =>
        {
            // A Host alias of ~/.ferry/config gives its HostName; its Port is Ferry's, not NTP's, so it does not apply.
            var (host, _) = TargetResolver.Resolve(result.GetValue(target), TargetResolver.LoadConfig(), SntpQueryOptions.DefaultPort, usePort: false);
            if (host.IsUnix) throw new CliUsageException("HOST:PORT must be an NTP server's address");
            var settings = new TimeBenchSettings(result.GetValue(inflight), result.GetValue(duration), result.GetValue(warmup));
            if (settings.Inflight is < 1 or > MaxInflight || settings.Duration <= 0 || settings.Warmup < 0)
            {
                throw new CliUsageException($"--inflight must be 1-{MaxInflight}, --duration above 0, --warmup at least 0");
            }
            var address = EndPointParser.Resolve(host.Host, "HOST");
            var report = await Task.Factory.StartNew(() => Run(new IPEndPoint(address, host.Port), settings, ct), ct,
                TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            if (result.GetValue(json)) cli.Out.WriteLine(JsonSerializer.Serialize(report, TimeBenchJsonContext.Default.TimeBenchReport));
            else Render(cli, report);
            return report.Answers > 0 ? ExitCodes.Ok : ExitCodes.Timeout;
        });
        return command;
    }

    /// <summary>
    /// One thread, blocking calls on a connected socket: a reply's receive time (T4) is read the moment the kernel
    /// hands it over, and the client costs as little CPU as possible (it shares the machine with the server).
    /// </summary>
    internal static TimeBenchReport Run(IPEndPoint server, TimeBenchSettings settings, CancellationToken ct)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.ReceiveBufferSize = 1 << 20;
        socket.Connect(server);
        socket.ReceiveTimeout = 50;
        // T4 from the kernel's arrival time where it gives one, so replies queued behind others still time right.
        using var receiver = KernelTimestampReceiver.TryCreate(socket, TimeSpan.FromMilliseconds(50));
        var clock = TimeProvider.System;
        var sentT1 = new ulong[settings.Inflight];
        var sentAt = new long[settings.Inflight];
        Span<byte> request = stackalloc byte[SntpPacket.Size];
        Span<byte> buffer = stackalloc byte[1024];
        SntpPacket.ClientRequest(default).Write(request);
        var offsets = new List<long>(1 << 20);
        var delays = new List<long>(1 << 20);
        long lost = 0, strays = 0, kisses = 0, refused = 0;
        long lossTimeout = Stopwatch.Frequency / 5;

        long start = Stopwatch.GetTimestamp();
        long measureFrom = start + (long)(settings.Warmup * Stopwatch.Frequency);
        long end = measureFrom + (long)(settings.Duration * Stopwatch.Frequency);
        long lastScan = start;

        void Send(Span<byte> request, int slot)
        {
            ulong t1 = (NtpTimestamp.FromDateTime(clock.GetUtcNow().UtcDateTime).Value & ~0xFFUL) | (uint)slot;
            SntpPacket.WriteTimestamp(request, SntpPacket.TransmitOffset, new NtpTimestamp(t1));
            sentT1[slot] = t1;
            sentAt[slot] = Stopwatch.GetTimestamp();
            try
            {
                socket.Send(request);
            }
            catch (SocketException)
            {
                refused++; // ICMP unreachable from an earlier datagram; the slot is resent after the loss timeout
            }
        }

        for (int slot = 0; slot < settings.Inflight; slot++) Send(request, slot);
        long now = start;
        while (now < end && !ct.IsCancellationRequested)
        {
            int received = 0;
            NtpTimestamp t4 = default;
            if (receiver is not null)
            {
                received = receiver.Receive(buffer, null, out t4);
                if (received < 0 && received != -EAGAIN) refused++;
            }
            else
            {
                try
                {
                    received = socket.Receive(buffer);
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.ConnectionRefused or SocketError.ConnectionReset)
                {
                    if (ex.SocketErrorCode is not (SocketError.TimedOut or SocketError.WouldBlock)) refused++;
                }
            }
            if (t4.IsZero) t4 = NtpTimestamp.FromDateTime(clock.GetUtcNow().UtcDateTime);
            now = Stopwatch.GetTimestamp();
            if (received > 0 && SntpPacket.TryRead(buffer[..received], out var reply))
            {
                int slot = (int)(reply.OriginTime.Value & 0xFF);
                if (slot >= sentT1.Length || sentT1[slot] != reply.OriginTime.Value)
                {
                    strays++; // a late answer to a request already given up as lost
                }
                else
                {
                    if (reply.IsKissOfDeath)
                    {
                        kisses++;
                    }
                    else if (now >= measureFrom)
                    {
                        var sample = new SntpSample(reply.OriginTime, reply.ReceiveTime, reply.TransmitTime, t4);
                        offsets.Add(sample.Offset.TotalNanoseconds);
                        delays.Add(sample.Delay.TotalNanoseconds);
                    }
                    Send(request, slot);
                }
            }
            if (now - lastScan > lossTimeout / 4)
            {
                lastScan = now;
                for (int slot = 0; slot < sentAt.Length; slot++)
                {
                    if (now - sentAt[slot] <= lossTimeout) continue;
                    if (sentAt[slot] >= measureFrom) lost++;
                    Send(request, slot);
                }
            }
        }
        double seconds = Math.Max(1e-9, (Math.Min(now, end) - measureFrom) / (double)Stopwatch.Frequency);
        offsets.Sort();
        delays.Sort();
        double Micros(List<long> sorted, double p) => sorted.Count == 0 ? 0 : Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)] / 1000.0, 1);
        long within = offsets.Count(o => Math.Abs(o) <= 200_000);
        return new TimeBenchReport(server.ToString(), settings.Inflight, Math.Round(seconds, 3), offsets.Count, Math.Round(offsets.Count / seconds),
            lost, kisses, strays, refused,
            Micros(offsets, 0), Micros(offsets, 0.01), Micros(offsets, 0.5), Micros(offsets, 0.99), Micros(offsets, 1),
            offsets.Count == 0 ? 0 : Math.Round(100.0 * within / offsets.Count, 2),
            Micros(delays, 0.5), Micros(delays, 0.99));
    }

    private static void Render(CliContext cli, TimeBenchReport r)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("time (SNTP)").AddColumn(new TableColumn("result").RightAligned());
        table.AddRow("target", r.Target);
        table.AddRow("requests in flight", r.Inflight.ToString(System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("answers", $"{r.Answers:N0} in {r.DurationSeconds:0.##} s");
        table.AddRow("[bold]answers/s[/]", $"[bold]{r.AnswersPerSecond:N0}[/]");
        table.AddRow("offset min / p1 / p50 / p99 / max", $"{r.OffsetMinMicros:N1} / {r.OffsetP1Micros:N1} / {r.OffsetP50Micros:N1} / {r.OffsetP99Micros:N1} / {r.OffsetMaxMicros:N1} µs");
        table.AddRow("offsets within ±200 µs", $"{r.WithinTargetPercent:0.##} %");
        table.AddRow("delay p50 / p99", $"{r.DelayP50Micros:N1} / {r.DelayP99Micros:N1} µs");
        table.AddRow("lost (no reply in 200 ms)", r.Lost == 0 ? "0" : $"[yellow]{r.Lost:N0}[/]");
        if (r.KissOfDeath > 0) table.AddRow("kiss-o'-death replies", $"[red]{r.KissOfDeath:N0}[/]");
        if (r.Refused > 0) table.AddRow("refused (ICMP)", $"[red]{r.Refused:N0}[/]");
        cli.WriteTable(table);
    }
}

internal sealed record TimeBenchSettings(int Inflight, double Duration, double Warmup);

internal sealed record TimeBenchReport(string Target, int Inflight, double DurationSeconds, long Answers, double AnswersPerSecond,
    long Lost, long KissOfDeath, long Strays, long Refused,
    double OffsetMinMicros, double OffsetP1Micros, double OffsetP50Micros, double OffsetP99Micros, double OffsetMaxMicros, double WithinTargetPercent,
    double DelayP50Micros, double DelayP99Micros);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TimeBenchReport))]
internal sealed partial class TimeBenchJsonContext : JsonSerializerContext
{
}

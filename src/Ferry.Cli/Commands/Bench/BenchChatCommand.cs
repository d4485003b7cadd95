using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Spectre.Console;

namespace Ferry.Cli.Commands.Bench;

/// <summary>
/// <c>ferry bench chat</c>: N members in one room, messages said at a fixed total rate by the members in turn;
/// every member records each message's delay from send to its own receipt (all in this process, one clock).
/// </summary>
internal static class BenchChatCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var clients = new Option<int>("--clients", "-c") { Description = "Members in the room (one connection each)", DefaultValueFactory = _ => 100 };
        var rate = new Option<double>("--rate") { Description = "Messages per second said into the room, in total", DefaultValueFactory = _ => 10 };
        var duration = new Option<double>("--duration", "-d") { Description = "Seconds to measure" + Durations.Hint, CustomParser = Durations.ParseSeconds, DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of load before measuring" + Durations.Hint, CustomParser = Durations.ParseSeconds, DefaultValueFactory = _ => 1 };
        var size = new Option<int>("--size", "-s") { Description = "Message text size in bytes (at least 24)" + Sizes.Hint, CustomParser = Sizes.ParseInt32, DefaultValueFactory = _ => 64 };
        var json = CommonOptions.Json();
        var command = new Command("chat", "Chat fan-out: deliveries/s and send→receive latency percentiles over every member")
        {
            clients, rate, duration, warmup, size, json,
        };
        connect.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var settings = new ChatBenchSettings(result.GetValue(clients), result.GetValue(rate), result.GetValue(duration),
                result.GetValue(warmup), result.GetValue(size));
            if (settings.Clients < 1 || settings.Rate <= 0 || settings.Duration <= 0 || settings.Size is < 24 or > 4096)
            {
                throw new CliUsageException("--clients must be at least 1, --rate and --duration above 0, --size 24-4096");
            }
            var report = await RunAsync(connect.Options(result), settings, cli.Error, ct).ConfigureAwait(false);
            if (result.GetValue(json)) cli.Out.WriteLine(JsonSerializer.Serialize(report, ChatBenchJsonContext.Default.ChatBenchReport));
            else Render(cli, report);
            return report.Errors == 0 && report.Lost == 0 ? ExitCodes.Ok : ExitCodes.Error;
        });
        return command;
    }

    internal static async Task<ChatBenchReport> RunAsync(FerryClientOptions options, ChatBenchSettings settings, TextWriter progress, CancellationToken ct)
    {
        var room = "bench-" + Convert.ToHexString(BitConverter.GetBytes(Random.Shared.Next())).ToLowerInvariant();
        var members = new (FerryClient Client, ChatSession Session)[settings.Clients];
        var recorders = new LatencyRecorder[settings.Clients];
        var readers = new Task[settings.Clients];
        long windowStart = long.MaxValue, windowEnd = long.MaxValue;
        long errors = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            progress.WriteLine($"bench chat: joining {settings.Clients} members to room {room}...");
            for (int i = 0; i < members.Length; i++)
            {
                var client = await FerryClient.ConnectAsync(options, ct).ConfigureAwait(false);
                var session = await client.JoinChatAsync(room, $"b{i}-{room[6..]}", bufferedEvents: 4096, ct).ConfigureAwait(false);
                members[i] = (client, session);
                var recorder = recorders[i] = new LatencyRecorder();
                readers[i] = Task.Run(() => ReceiveAsync(session, recorder, () => Volatile.Read(ref windowStart), () => Volatile.Read(ref windowEnd), stop.Token), ct);
            }

            var padding = new string('.', settings.Size - 20);
            var pending = new List<Task>();
            var interval = Stopwatch.Frequency / settings.Rate;
            long begin = Stopwatch.GetTimestamp();
            long warmupEnd = begin + (long)(settings.Warmup * Stopwatch.Frequency);
            long measureEnd = warmupEnd + (long)(settings.Duration * Stopwatch.Frequency);
            Volatile.Write(ref windowStart, warmupEnd);
            Volatile.Write(ref windowEnd, measureEnd);
            long sent = 0, measuredSent = 0;
            progress.WriteLine($"bench chat: {settings.Rate} msg/s into the room for {settings.Warmup} s warm-up + {settings.Duration} s...");
            while (true)
            {
                long due = begin + (long)(sent * interval);
                if (due >= measureEnd) break;
                long now = Stopwatch.GetTimestamp();
                if (due > now) await Task.Delay(TimeSpan.FromSeconds((double)(due - now) / Stopwatch.Frequency), ct).ConfigureAwait(false);
                long stamp = Stopwatch.GetTimestamp();
                var sender = members[sent % members.Length].Session;
                pending.Add(SayAsync(sender, stamp.ToString("D19", CultureInfo.InvariantCulture) + " " + padding));
                if (stamp >= warmupEnd && stamp < measureEnd) measuredSent++;
                sent++;
                if (pending.Count > 256) pending.RemoveAll(t => t.IsCompleted);
            }
            await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            // Give the last messages time to reach everyone, then stop reading.
            long expected = measuredSent * settings.Clients;
            using (var settle = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                while (recorders.Sum(r => (long)r.Count) < expected && !settle.IsCancellationRequested && readers.All(r => !r.IsCompleted))
                {
                    await Task.Delay(50, ct).ConfigureAwait(false);
                }
            }
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            int disconnected = readers.Count(r => r.IsFaulted);
            var latency = LatencyRecorder.Summarize(recorders);
            double seconds = settings.Duration;
            return new ChatBenchReport(options.Target.ToString(), settings.Clients, settings.Rate, settings.Size, seconds, measuredSent,
                latency.Samples, Math.Max(0, expected - latency.Samples), Math.Round(latency.Samples / seconds), Math.Round(measuredSent / seconds, 1),
                Math.Round(latency.P50Micros / 1000, 2), Math.Round(latency.P99Micros / 1000, 2), Math.Round(latency.P999Micros / 1000, 2),
                Math.Round(latency.MaxMicros / 1000, 2), disconnected, Interlocked.Read(ref errors));
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var member in members)
            {
                if (member.Client is not null) await member.Client.DisposeAsync().ConfigureAwait(false);
            }
        }

        async Task SayAsync(ChatSession session, string text)
        {
            try
            {
                await session.SayAsync(text, ct).ConfigureAwait(false);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref errors);
            }
        }
    }

    private static async Task ReceiveAsync(ChatSession session, LatencyRecorder recorder, Func<long> windowStart, Func<long> windowEnd, CancellationToken ct)
    {
        try
        {
            await foreach (var e in session.ReadEventsAsync(ct).ConfigureAwait(false))
            {
                long now = Stopwatch.GetTimestamp();
                if (e.Kind != "message" || e.History || e.Text is not { Length: >= 19 } text) continue;
                if (!long.TryParse(text.AsSpan(0, 19), NumberStyles.None, CultureInfo.InvariantCulture, out long sentAt)) continue;
                if (sentAt >= windowStart() && sentAt < windowEnd()) recorder.Record(now - sentAt);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Measurement over.
        }
    }

    private static void Render(CliContext cli, ChatBenchReport r)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("chat").AddColumn(new TableColumn("result").RightAligned());
        table.AddRow("target", r.Target);
        table.AddRow("members in the room", $"{r.Clients:N0}");
        table.AddRow("messages said", $"{r.Messages:N0} in {r.DurationSeconds:0.##} s ({r.MessagesPerSecond:N1}/s, {r.Size} B)");
        table.AddRow("[bold]deliveries/s[/]", $"[bold]{r.DeliveriesPerSecond:N0}[/]");
        table.AddRow("deliveries", $"{r.Deliveries:N0}");
        table.AddRow("latency p50 / p99 / p99.9", $"{r.P50Millis:N2} / {r.P99Millis:N2} / {r.P999Millis:N2} ms");
        table.AddRow("latency max", $"{r.MaxMillis:N2} ms");
        table.AddRow("lost / members dropped / errors", r.Lost + r.Dropped + r.Errors == 0 ? "0 / 0 / 0" : $"[red]{r.Lost} / {r.Dropped} / {r.Errors}[/]");
        cli.WriteTable(table);
    }
}

internal sealed record ChatBenchSettings(int Clients, double Rate, double Duration, double Warmup, int Size);

internal sealed record ChatBenchReport(string Target, int Clients, double Rate, int Size, double DurationSeconds, long Messages, long Deliveries,
    long Lost, double DeliveriesPerSecond, double MessagesPerSecond, double P50Millis, double P99Millis, double P999Millis, double MaxMillis,
    int Dropped, long Errors);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ChatBenchReport))]
internal sealed partial class ChatBenchJsonContext : JsonSerializerContext
{
}

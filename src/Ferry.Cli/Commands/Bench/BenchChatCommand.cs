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
    // "STAMP ID " before the padding: the send time (Stopwatch ticks, one process, one clock) and the message's number.
    private const int StampDigits = 19;
    private const int IdDigits = 8;
    private const int HeaderLength = StampDigits + 1 + IdDigits + 1;

    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var target = new Argument<string?>("TARGET")
        {
            Description = "The server: host[:port], unix:PATH or a Host alias (or --targets for several)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var targets = new Option<string?>("--targets")
        {
            Description = "Several servers of one chat (ferry serve --chat-redis), comma-separated: members and senders are spread over them round-robin",
        };
        var clients = new Option<int>("--clients", "-c") { Description = "Members in the room (one connection each)", DefaultValueFactory = _ => 100 };
        var rate = new Option<double>("--rate") { Description = "Messages per second said into the room, in total", DefaultValueFactory = _ => 10 };
        var senders = new Option<int>("--senders") { Description = "How many members take turns saying them (default: every member)", DefaultValueFactory = _ => 0 };
        var duration = new Option<double>("--duration", "-d") { Description = "Seconds to measure" + Durations.Hint, CustomParser = Durations.ParseSeconds, DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of load before measuring" + Durations.Hint, CustomParser = Durations.ParseSeconds, DefaultValueFactory = _ => 1 };
        var size = new Option<int>("--size", "-s") { Description = $"Message text size in bytes (at least {HeaderLength + 3})" + Sizes.Hint, CustomParser = Sizes.ParseInt32, DefaultValueFactory = _ => 64 };
        var parallel = new Option<int>("--join-parallel") { Description = "Members connecting and joining at once", DefaultValueFactory = _ => 8 };
        var json = CommonOptions.Json();
        var command = new Command("chat", "Chat fan-out: deliveries/s, send→receive latency percentiles, lost and duplicated messages over every member")
        {
            target, targets, clients, rate, senders, duration, warmup, size, parallel, json,
        };
        connect.AddTo(command, withTarget: false);
        command.SetAction(async (result, ct) =>
        {
            var names = new List<string>();
            if (result.GetValue(target) is { Length: > 0 } one) names.Add(one);
            if (result.GetValue(targets) is { } many) names.AddRange(many.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            if (names.Count == 0) throw new CliUsageException("name the server (TARGET) or several with --targets A,B,C");
            var settings = new ChatBenchSettings(result.GetValue(clients), result.GetValue(rate), result.GetValue(duration),
                result.GetValue(warmup), result.GetValue(size), result.GetValue(senders), result.GetValue(parallel));
            if (settings.Clients < 1 || settings.Rate <= 0 || settings.Duration <= 0 || settings.Size < HeaderLength + 3 || settings.Size > 4096
                || settings.Senders < 0 || settings.JoinParallel is < 1 or > 1024)
            {
                throw new CliUsageException($"--clients must be at least 1, --rate and --duration above 0, --size {HeaderLength + 3}-4096, --senders 0 or more, --join-parallel 1-1024");
            }
            var options = names.Select(n => connect.Options(result, n)).ToArray();
            var report = await RunAsync(options, settings, cli.Error, ct).ConfigureAwait(false);
            if (result.GetValue(json)) cli.Out.WriteLine(JsonSerializer.Serialize(report, ChatBenchJsonContext.Default.ChatBenchReport));
            else Render(cli, report);
            return report.Errors == 0 && report.Lost == 0 && report.Duplicated == 0 && report.OutOfOrder == 0 ? ExitCodes.Ok : ExitCodes.Error;
        });
        return command;
    }

    internal static async Task<ChatBenchReport> RunAsync(IReadOnlyList<FerryClientOptions> targets, ChatBenchSettings settings, TextWriter progress, CancellationToken ct)
    {
        var room = "bench-" + Convert.ToHexString(BitConverter.GetBytes(Random.Shared.Next())).ToLowerInvariant();
        long interval = (long)(Stopwatch.Frequency / settings.Rate);
        // Every message said gets a number below this; each member marks what it received by number and by seq.
        int planned = checked((int)Math.Ceiling((settings.Warmup + settings.Duration) * settings.Rate) + 16);
        var members = new BenchMember[settings.Clients];
        var readers = new Task[settings.Clients];
        var seqToId = new int[planned + 1];
        var said = new bool[planned];
        long windowStart = long.MaxValue, windowEnd = long.MaxValue;
        long errors = 0, orderDisagreements = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            progress.WriteLine($"bench chat: joining {settings.Clients} members to room {room} on {string.Join(", ", targets.Select(t => t.Target))}...");
            int next = -1, joined = 0;
            await Task.WhenAll(Enumerable.Range(0, Math.Min(settings.JoinParallel, settings.Clients)).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < members.Length)
                {
                    // Round-robin over the servers: member i is on server i mod N, so consecutive senders are on different servers.
                    var client = await FerryClient.ConnectAsync(targets[i % targets.Count], stop.Token).ConfigureAwait(false);
                    var member = members[i] = new BenchMember(client, i % targets.Count, planned);
                    member.Session = await client.JoinChatAsync(room, $"b{i}-{room[6..]}", bufferedEvents: 4096, stop.Token).ConfigureAwait(false);
                    readers[i] = Task.Run(() => ReceiveAsync(member, seqToId, () => Volatile.Read(ref windowStart), () => Volatile.Read(ref windowEnd),
                        () => Interlocked.Increment(ref orderDisagreements), stop.Token), stop.Token);
                    int n = Interlocked.Increment(ref joined);
                    if (n % 500 == 0 && n < members.Length) progress.WriteLine($"bench chat: {n} joined");
                }
            }, stop.Token))).ConfigureAwait(false);

            // Every join is announced to the members already in: N members make N²/2 join events. Let them arrive before
            // the clock starts, or the first messages queue behind them.
            await SettleAsync(members, progress, ct).ConfigureAwait(false);

            var padding = new string('.', settings.Size - HeaderLength);
            var pending = new List<Task>();
            int senderCount = settings.Senders == 0 ? members.Length : Math.Min(settings.Senders, members.Length);
            long begin = Stopwatch.GetTimestamp();
            long warmupEnd = begin + (long)(settings.Warmup * Stopwatch.Frequency);
            long measureEnd = warmupEnd + (long)(settings.Duration * Stopwatch.Frequency);
            Volatile.Write(ref windowStart, warmupEnd);
            Volatile.Write(ref windowEnd, measureEnd);
            int sent = 0;
            long measuredSent = 0;
            progress.WriteLine($"bench chat: {settings.Rate} msg/s into the room from {senderCount} senders for {settings.Warmup} s warm-up + {settings.Duration} s...");
            while (sent < planned)
            {
                long due = begin + sent * interval;
                if (due >= measureEnd) break;
                long now = Stopwatch.GetTimestamp();
                if (due > now) await Task.Delay(TimeSpan.FromSeconds((double)(due - now) / Stopwatch.Frequency), ct).ConfigureAwait(false);
                long stamp = Stopwatch.GetTimestamp();
                var sender = members[sent % senderCount].Session!;
                var text = stamp.ToString("D19", CultureInfo.InvariantCulture) + " " + sent.ToString("D8", CultureInfo.InvariantCulture) + " " + padding;
                pending.Add(SayAsync(sender, text, sent));
                if (stamp >= warmupEnd && stamp < measureEnd) measuredSent++;
                sent++;
                if (pending.Count > 256) pending.RemoveAll(t => t.IsCompleted);
            }
            await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            long acknowledged = said.Take(sent).Count(s => s);
            // Give the last messages time to reach everyone, then stop reading.
            using (var settle = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                while (members.Sum(m => (long)m.Received) < acknowledged * members.Length && !settle.IsCancellationRequested && readers.All(r => !r.IsCompleted))
                {
                    await Task.Delay(50, ct).ConfigureAwait(false);
                }
            }
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            int disconnected = readers.Count(r => r.IsFaulted);
            long lost = 0;
            foreach (var member in members)
            {
                for (int id = 0; id < sent; id++)
                {
                    if (said[id] && !member.SeenIds[id]) lost++;
                }
            }
            var latency = LatencyRecorder.Summarize(members.Select(m => m.Latency));
            var perTarget = targets.Select((t, index) =>
            {
                var here = members.Where(m => m.TargetIndex == index).ToArray();
                var l = LatencyRecorder.Summarize(here.Select(m => m.Latency));
                return new ChatBenchTarget(t.Target.ToString(), here.Length, l.Samples, Math.Round(l.Samples / settings.Duration),
                    Math.Round(l.P50Micros / 1000, 2), Math.Round(l.P99Micros / 1000, 2));
            }).ToList();
            double seconds = settings.Duration;
            return new ChatBenchReport(string.Join(",", targets.Select(t => t.Target)), settings.Clients, settings.Rate, settings.Size, seconds, measuredSent,
                latency.Samples, lost, Math.Round(latency.Samples / seconds), Math.Round(measuredSent / seconds, 1),
                Math.Round(latency.P50Micros / 1000, 2), Math.Round(latency.P99Micros / 1000, 2), Math.Round(latency.P999Micros / 1000, 2),
                Math.Round(latency.MaxMicros / 1000, 2), disconnected, Interlocked.Read(ref errors))
            {
                Senders = senderCount,
                Said = sent,
                Acknowledged = acknowledged,
                Duplicated = members.Sum(m => m.DuplicatedBySeq),
                DuplicatedById = members.Sum(m => m.DuplicatedById),
                OutOfOrder = members.Sum(m => m.OutOfOrder),
                OrderDisagreements = Interlocked.Read(ref orderDisagreements),
                Targets = perTarget,
            };
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(members.Where(m => m is not null).Select(m => m.Client.DisposeAsync().AsTask())).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        async Task SayAsync(ChatSession session, string text, int id)
        {
            try
            {
                await session.SayAsync(text, ct).ConfigureAwait(false);
                said[id] = true;
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref errors);
            }
        }
    }

    private static async Task SettleAsync(BenchMember[] members, TextWriter progress, CancellationToken ct)
    {
        long before = -1;
        int quiet = 0;
        var started = Stopwatch.GetTimestamp();
        while (quiet < 3 && Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(10))
        {
            long now = members.Sum(m => m.Events);
            quiet = now == before ? quiet + 1 : 0;
            before = now;
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
        progress.WriteLine($"bench chat: {before:N0} join events delivered in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s; the room is quiet");
    }

    // Marks every message by its number and its seq: a second sight of either is a duplicate, a seq below the last one
    // is out of order, and a seq that another member saw with a different message means the members disagree on the order.
    private static async Task ReceiveAsync(BenchMember member, int[] seqToId, Func<long> windowStart, Func<long> windowEnd, Action disagreed, CancellationToken ct)
    {
        try
        {
            await foreach (var e in member.Session!.ReadEventsAsync(ct).ConfigureAwait(false))
            {
                long now = Stopwatch.GetTimestamp();
                member.CountEvent();
                if (e.Kind != "message" || e.History || e.Text is not { Length: >= HeaderLength } text) continue;
                if (!long.TryParse(text.AsSpan(0, StampDigits), NumberStyles.None, CultureInfo.InvariantCulture, out long sentAt)
                    || !int.TryParse(text.AsSpan(StampDigits + 1, IdDigits), NumberStyles.None, CultureInfo.InvariantCulture, out int id)
                    || id >= member.SeenIds.Length) continue;
                if (member.SeenIds[id]) member.DuplicatedById++;
                member.SeenIds[id] = true;
                if (e.Seq is > 0 and var seq && seq < seqToId.Length)
                {
                    if (member.SeenSeqs[(int)seq]) member.DuplicatedBySeq++;
                    else if (seq < member.LastSeq) member.OutOfOrder++;
                    member.SeenSeqs[(int)seq] = true;
                    member.LastSeq = Math.Max(member.LastSeq, seq);
                    int known = Interlocked.CompareExchange(ref seqToId[seq], id + 1, 0);
                    if (known != 0 && known != id + 1) disagreed();
                }
                member.CountReceived();
                if (sentAt >= windowStart() && sentAt < windowEnd()) member.Latency.Record(now - sentAt);
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
        table.AddRow("target" + (r.Targets.Count > 1 ? "s" : ""), r.Target.Replace(",", ", ", StringComparison.Ordinal));
        table.AddRow("members in the room", r.Targets.Count > 1 ? $"{r.Clients:N0} ({string.Join(" + ", r.Targets.Select(t => t.Members.ToString("N0", CultureInfo.InvariantCulture)))})" : $"{r.Clients:N0}");
        table.AddRow("messages said", $"{r.Messages:N0} in {r.DurationSeconds:0.##} s ({r.MessagesPerSecond:N1}/s, {r.Size} B, {r.Senders:N0} senders)");
        table.AddRow("[bold]deliveries/s[/]", $"[bold]{r.DeliveriesPerSecond:N0}[/]");
        table.AddRow("deliveries", $"{r.Deliveries:N0}");
        table.AddRow("latency p50 / p99 / p99.9", $"{r.P50Millis:N2} / {r.P99Millis:N2} / {r.P999Millis:N2} ms");
        table.AddRow("latency max", $"{r.MaxMillis:N2} ms");
        if (r.Targets.Count > 1)
        {
            foreach (var t in r.Targets) table.AddRow($"  via {t.Target}", $"{t.DeliveriesPerSecond:N0}/s, p50 {t.P50Millis:N2} ms, p99 {t.P99Millis:N2} ms");
        }
        bool clean = r.Lost + r.Duplicated + r.DuplicatedById + r.OutOfOrder + r.OrderDisagreements == 0;
        var order = $"{r.Lost} / {r.Duplicated} / {r.DuplicatedById} / {r.OutOfOrder} / {r.OrderDisagreements}";
        table.AddRow("lost / duplicated (seq / id) / out of order / order disagreements", clean ? order : $"[red]{order}[/]");
        table.AddRow("members dropped / errors", r.Dropped + r.Errors == 0 ? "0 / 0" : $"[red]{r.Dropped} / {r.Errors}[/]");
        cli.WriteTable(table);
    }

    private sealed class BenchMember(FerryClient client, int targetIndex, int planned)
    {
        public FerryClient Client { get; } = client;

        public int TargetIndex { get; } = targetIndex;

        public ChatSession? Session { get; set; }

        public LatencyRecorder Latency { get; } = new();

        public System.Collections.BitArray SeenIds { get; } = new(planned);

        public System.Collections.BitArray SeenSeqs { get; } = new(planned + 1);

        public long LastSeq { get; set; }

        public long DuplicatedBySeq { get; set; }

        public long DuplicatedById { get; set; }

        public long OutOfOrder { get; set; }

        private int _received;
        private long _events;

        public long Events => Interlocked.Read(ref _events);

        public void CountEvent() => Interlocked.Increment(ref _events);

        public int Received => Volatile.Read(ref _received);

        public void CountReceived() => Interlocked.Increment(ref _received);
    }
}

internal sealed record ChatBenchSettings(int Clients, double Rate, double Duration, double Warmup, int Size, int Senders = 0, int JoinParallel = 8);

internal sealed record ChatBenchReport(string Target, int Clients, double Rate, int Size, double DurationSeconds, long Messages, long Deliveries,
    long Lost, double DeliveriesPerSecond, double MessagesPerSecond, double P50Millis, double P99Millis, double P999Millis, double MaxMillis,
    int Dropped, long Errors)
{
    public int Senders { get; init; }

    /// <summary>Messages said, warm-up included, and how many of them the server acknowledged (each must reach every member).</summary>
    public long Said { get; init; }

    public long Acknowledged { get; init; }

    /// <summary>Receipts of a seq the member had already seen.</summary>
    public long Duplicated { get; init; }

    /// <summary>Receipts of a message (by its number in the text) the member had already seen.</summary>
    public long DuplicatedById { get; init; }

    /// <summary>Receipts whose seq was below one the member had already seen.</summary>
    public long OutOfOrder { get; init; }

    /// <summary>Seqs that two members saw with different messages (there is one order, or this is not 0).</summary>
    public long OrderDisagreements { get; init; }

    public IReadOnlyList<ChatBenchTarget> Targets { get; init; } = [];
}

/// <summary>The members on one server of a multi-server run.</summary>
internal sealed record ChatBenchTarget(string Target, int Members, long Deliveries, double DeliveriesPerSecond, double P50Millis, double P99Millis);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ChatBenchReport))]
internal sealed partial class ChatBenchJsonContext : JsonSerializerContext
{
}

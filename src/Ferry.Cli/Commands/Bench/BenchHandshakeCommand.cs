using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Spectre.Console;

namespace Ferry.Cli.Commands.Bench;

/// <summary>
/// <c>ferry bench handshake</c>: full connection set-ups per second — TCP connect, TLS 1.3, hello and authentication
/// (key, or SCRAM with --user), then close — from N concurrent workers for DURATION seconds.
/// </summary>
internal static class BenchHandshakeCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory(cli);
        var concurrency = new Option<int>("--concurrency", "-c") { Description = "Workers connecting at once", DefaultValueFactory = _ => 8 };
        var duration = new Option<double>("--duration", "-d") { Description = "Seconds to measure" + Durations.Hint, CustomParser = Durations.ParseSeconds, DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of load before measuring" + Durations.Hint, CustomParser = Durations.ParseSeconds, DefaultValueFactory = _ => 1 };
        var json = CommonOptions.Json();
        var command = new Command("handshake",
            "Connection set-ups per second (TCP + TLS + hello + key or --user SCRAM login) and their latency percentiles")
        {
            concurrency, duration, warmup, json,
        };
        connect.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            int workers = result.GetValue(concurrency);
            double seconds = result.GetValue(duration);
            if (workers < 1 || seconds <= 0) throw new CliUsageException("--concurrency must be at least 1 and --duration above 0");
            var options = connect.Options(result);
            // One login first: a wrong key or an untrusted host fails here with its own message, not as a count of errors.
            await (await FerryClient.ConnectAsync(options, ct).ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            var report = await RunAsync(options, workers, seconds, result.GetValue(warmup), ct).ConfigureAwait(false);
            if (result.GetValue(json)) cli.Out.WriteLine(JsonSerializer.Serialize(report, HandshakeBenchJsonContext.Default.HandshakeBenchReport));
            else Render(cli, report);
            return report.Errors == 0 ? ExitCodes.Ok : ExitCodes.Error;
        });
        return command;
    }

    internal static async Task<HandshakeBenchReport> RunAsync(FerryClientOptions options, int concurrency, double duration, double warmup, CancellationToken ct)
    {
        int phase = 0; // 0 warm-up, 1 measuring, 2 stop
        long errors = 0;
        string? firstError = null;
        var recorders = Enumerable.Range(0, concurrency).Select(_ => new LatencyRecorder()).ToArray();
        var tasks = recorders.Select(recorder => Task.Run(async () =>
        {
            while (Volatile.Read(ref phase) < 2 && !ct.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    var client = await FerryClient.ConnectAsync(options, ct).ConfigureAwait(false);
                    long elapsed = Stopwatch.GetTimestamp() - start;
                    await client.DisposeAsync().ConfigureAwait(false);
                    if (Volatile.Read(ref phase) == 1) recorder.Record(elapsed);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    if (Volatile.Read(ref phase) == 1) Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, ex.Message, null);
                }
            }
        }, ct)).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(warmup), ct).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref phase, 1);
        await Task.Delay(TimeSpan.FromSeconds(duration), ct).ConfigureAwait(false);
        Volatile.Write(ref phase, 2);
        double elapsedSeconds = clock.Elapsed.TotalSeconds;
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var latency = LatencyRecorder.Summarize(recorders);
        string method = options.User is null ? "key" : "scram-sha-256";
        return new HandshakeBenchReport(options.Target.ToString(), options.Plaintext ? "plaintext" : "TLS 1.3", method, concurrency,
            Math.Round(elapsedSeconds, 3), latency.Samples, Interlocked.Read(ref errors), Math.Round(latency.Samples / elapsedSeconds, 1),
            Math.Round(latency.P50Micros, 1), Math.Round(latency.P99Micros, 1), Math.Round(latency.MaxMicros, 1), firstError);
    }

    private static void Render(CliContext cli, HandshakeBenchReport r)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("handshake").AddColumn(new TableColumn("result").RightAligned());
        table.AddRow("target", Markup.Escape(r.Target));
        table.AddRow("transport / login", $"{r.Transport} / {r.Method}");
        table.AddRow("concurrency", $"{r.Concurrency}");
        table.AddRow("handshakes", $"{r.Handshakes:N0} in {r.DurationSeconds:0.##} s");
        table.AddRow("[bold]handshakes/s[/]", $"[bold]{r.HandshakesPerSecond:N1}[/]");
        table.AddRow("latency p50 / p99 / max", $"{r.P50Micros:N0} / {r.P99Micros:N0} / {r.MaxMicros:N0} µs");
        table.AddRow("errors", r.Errors == 0 ? "0" : $"[red]{r.Errors}[/] ({Markup.Escape(r.FirstError ?? "")})");
        cli.WriteTable(table);
    }
}

internal sealed record HandshakeBenchReport(string Target, string Transport, string Method, int Concurrency, double DurationSeconds, long Handshakes,
    long Errors, double HandshakesPerSecond, double P50Micros, double P99Micros, double MaxMicros, string? FirstError);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HandshakeBenchReport))]
internal sealed partial class HandshakeBenchJsonContext : JsonSerializerContext
{
}

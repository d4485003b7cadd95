using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Spectre.Console;

namespace Ferry.Cli.Commands.Bench;

/// <summary>
/// <c>ferry bench exec</c>: sequential command round trips over one connection (p50/p99, commands/s), beside spawning the
/// same command locally from .NET in the same run; and, with <c>--output-bytes</c>, output throughput of <c>head -c N /dev/zero</c>.
/// </summary>
internal static class BenchExecCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var commandLine = new Option<string>("--command") { Description = "The command to run each time", DefaultValueFactory = _ => "true" };
        var count = new Option<int>("--count", "-n") { Description = "Round trips to measure", DefaultValueFactory = _ => 500 };
        var warmup = new Option<int>("--warmup") { Description = "Round trips before measuring", DefaultValueFactory = _ => 20 };
        var outputBytes = new Option<long>("--output-bytes") { Description = "Also measure output throughput: run 'head -c N /dev/zero' and discard it (e.g. 1G)" + Sizes.Hint, CustomParser = Sizes.ParseInt64 };
        var noLocal = new Option<bool>("--no-local") { Description = "Skip the local baseline (spawning the command here from .NET)" };
        var json = CommonOptions.Json();
        var command = new Command("exec", "Remote command round trips over one connection (p50/p99, commands/s) against a local spawn; optional output MB/s")
        {
            commandLine, count, warmup, outputBytes, noLocal, json,
        };
        connect.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            int n = result.GetValue(count);
            if (n < 1 || result.GetValue(warmup) < 0) throw new CliUsageException("--count must be at least 1 and --warmup at least 0");
            var text = result.GetValue(commandLine)!;
            await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
            var remote = await MeasureAsync(n, result.GetValue(warmup), async () =>
            {
                var exit = await client.ExecAsync(new RemoteCommand(text), ct).ConfigureAwait(false);
                if (exit.ExitCode != 0) throw new InvalidOperationException($"'{text}' exited with {exit.ExitCode} on the server");
            }).ConfigureAwait(false);
            TimedSummary? local = result.GetValue(noLocal) ? null
                : await MeasureAsync(n, result.GetValue(warmup), () => SpawnLocallyAsync(text, ct)).ConfigureAwait(false);
            double? throughput = null;
            long bytes = result.GetValue(outputBytes);
            if (bytes > 0) throughput = await MeasureOutputAsync(client, bytes, ct).ConfigureAwait(false);
            var report = new ExecBenchReport(client.Options.Target.ToString(), text, n,
                Math.Round(remote.P50Micros, 1), Math.Round(remote.P99Micros, 1), Math.Round(n / remote.TotalSeconds, 1),
                local is null ? null : Math.Round(local.P50Micros, 1), local is null ? null : Math.Round(local.P99Micros, 1),
                bytes > 0 ? bytes : null, throughput is null ? null : Math.Round(throughput.Value, 1));
            if (result.GetValue(json)) cli.Out.WriteLine(JsonSerializer.Serialize(report, ExecBenchJsonContext.Default.ExecBenchReport));
            else Render(cli, report);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<TimedSummary> MeasureAsync(int count, int warmup, Func<Task> once)
    {
        for (int i = 0; i < warmup; i++) await once().ConfigureAwait(false);
        var recorder = new LatencyRecorder();
        long begin = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await once().ConfigureAwait(false);
            recorder.Record(Stopwatch.GetTimestamp() - start);
        }
        var summary = LatencyRecorder.Summarize([recorder]);
        return new TimedSummary(summary.P50Micros, summary.P99Micros, Stopwatch.GetElapsedTime(begin).TotalSeconds);
    }

    // The baseline the server's own work is compared with: the same shell command, spawned and reaped here.
    private static async Task SpawnLocallyAsync(string command, CancellationToken ct)
    {
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        using var process = Process.Start(info)!;
        var drain = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, ct);
        var drainErr = process.StandardError.BaseStream.CopyToAsync(Stream.Null, ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        await Task.WhenAll(drain, drainErr).ConfigureAwait(false);
    }

    private static async Task<double> MeasureOutputAsync(FerryClient client, long bytes, CancellationToken ct)
    {
        long received = 0;
        var clock = Stopwatch.StartNew();
        var exit = await client.ExecAsync(new RemoteCommand($"head -c {bytes} /dev/zero")
        {
            OnStandardOutput = (data, _) =>
            {
                received += data.Length;
                return ValueTask.CompletedTask;
            },
        }, ct).ConfigureAwait(false);
        double seconds = clock.Elapsed.TotalSeconds;
        if (exit.ExitCode != 0 || received != bytes) throw new InvalidOperationException($"expected {bytes} bytes, got {received} (exit code {exit.ExitCode})");
        return bytes / seconds / 1e6;
    }

    private static void Render(CliContext cli, ExecBenchReport r)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("exec").AddColumn(new TableColumn("result").RightAligned());
        table.AddRow("target", r.Target);
        table.AddRow("command", Markup.Escape(r.Command));
        table.AddRow("round trips (one connection)", $"{r.Count:N0}");
        table.AddRow("[bold]remote p50 / p99[/]", $"[bold]{r.P50Micros:N0} / {r.P99Micros:N0} µs[/]");
        table.AddRow("remote commands/s", $"{r.CommandsPerSecond:N1}");
        if (r.LocalP50Micros is { } lp50)
        {
            table.AddRow("local spawn p50 / p99", $"{lp50:N0} / {r.LocalP99Micros:N0} µs");
            table.AddRow("remote ÷ local (p50)", $"{r.P50Micros / lp50:0.00}×");
        }
        if (r.OutputMegabytesPerSecond is { } mbps) table.AddRow($"output {r.OutputBytes:N0} B", $"{mbps:N1} MB/s");
        cli.WriteTable(table);
    }

    private sealed record TimedSummary(double P50Micros, double P99Micros, double TotalSeconds);
}

internal sealed record ExecBenchReport(string Target, string Command, int Count, double P50Micros, double P99Micros, double CommandsPerSecond,
    double? LocalP50Micros, double? LocalP99Micros, long? OutputBytes, double? OutputMegabytesPerSecond);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ExecBenchReport))]
internal sealed partial class ExecBenchJsonContext : JsonSerializerContext
{
}

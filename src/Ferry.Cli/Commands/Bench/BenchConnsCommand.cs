using System.CommandLine;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Spectre.Console;

namespace Ferry.Cli.Commands.Bench;

/// <summary>
/// <c>ferry bench conns</c>: hold N concurrent connections (from one or several processes) and measure what they
/// cost the server — resident memory per connection — and whether it still answers a fresh echo quickly.
/// </summary>
internal static class BenchConnsCommand
{
    // Sockets beyond the held connections: the monitor, the fresh-echo probe, stdio, the runtime's own files.
    private const int SpareFiles = 64;

    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var count = new Option<int>("--count", "-n") { Description = "Connections to hold open", DefaultValueFactory = _ => 1000 };
        var hold = new Option<double>("--hold") { Description = "Seconds to hold them once open (memory and fresh-echo latency are measured meanwhile)" + Durations.Hint, CustomParser = Durations.ParseSeconds, DefaultValueFactory = _ => 10 };
        var processes = new Option<int>("--processes") { Description = "Client processes to spread the connections over (each needs its own open-file budget)", DefaultValueFactory = _ => 1 };
        var keepalive = new Option<double>("--keepalive") { Description = "Seconds between the small echoes each held connection sends" + Durations.Hint, CustomParser = Durations.ParseSeconds, DefaultValueFactory = _ => 5 };
        var parallel = new Option<int>("--parallel")
        {
            // The server admits 64 unauthenticated connections per address by default; stay under it.
            Description = "Connections being opened at the same time (keep it under the server's --max-unauthenticated-per-address, 64 by default)",
            DefaultValueFactory = _ => 32,
        };
        var serverPid = new Option<int?>("--server-pid") { Description = "Read the server's memory from /proc/PID/status (same machine) instead of asking it with 'stats'" };
        var child = new Option<bool>("--child") { Hidden = true };
        var json = CommonOptions.Json();
        var command = new Command("conns",
            "Hold N concurrent connections (full handshake each), keep them alive with small echoes, and report " +
            "handshake p50/p99, the server's resident memory before and at peak, memory per connection, and the p99 " +
            "of fresh echo connections made meanwhile. Raises this process's open-file limit as far as the OS allows.")
        {
            count, hold, processes, keepalive, parallel, serverPid, json, child,
        };
        connect.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var settings = new ConnsBenchSettings(result.GetValue(count), result.GetValue(hold), result.GetValue(processes),
                result.GetValue(keepalive), result.GetValue(parallel), result.GetValue(serverPid));
            if (settings.Count < 1 || settings.Hold <= 0 || settings.Processes < 1 || settings.Keepalive <= 0 || settings.Parallel < 1)
            {
                throw new CliUsageException("--count, --processes and --parallel must be at least 1; --hold and --keepalive above 0");
            }
            var options = connect.Options(result);
            if (result.GetValue(child))
            {
                return await RunChildAsync(cli, options, settings, ct).ConfigureAwait(false);
            }
            var tokens = result.Tokens.Select(t => t.Value).ToList();
            var report = await RunAsync(cli, options, settings, !result.GetValue(json) && cli.StdErrIsTerminal, tokens, ct).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(report, ConnsBenchJsonContext.Default.ConnsBenchReport));
            }
            else
            {
                Render(cli, report);
            }
            return report.Established == settings.Count && report.KeepaliveFailed == 0 ? ExitCodes.Ok : ExitCodes.Error;
        });
        return command;
    }

    internal static async Task<ConnsBenchReport> RunAsync(CliContext cli, FerryClientOptions options, ConnsBenchSettings s, bool showProgress,
        IReadOnlyList<string> arguments, CancellationToken ct)
    {
        int local = s.Processes == 1 ? s.Count : 0;
        var limit = OpenFileLimit.Raise((ulong)(local + SpareFiles));

        await using var monitor = await FerryClient.ConnectAsync(options, ct).ConfigureAwait(false);
        var memory = new ServerMemoryProbe(monitor, s.ServerPid);
        long? before = await memory.ReadResidentBytesAsync(ct).ConfigureAwait(false);

        var clock = Stopwatch.StartNew();
        await using var fleet = new ConnectionFleet(options);
        var children = new List<Process>();
        var handshakes = new LatencyRecorder();
        var failures = new Dictionary<string, int>(StringComparer.Ordinal);
        bool fileLimit = false;
        long keepaliveOk = 0, keepaliveFailed = 0;
        int established = 0;
        using var holdOver = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task keepaliveTask = Task.CompletedTask;
        try
        {
            if (local > 0)
            {
                Action<int>? progress = showProgress ? done => { if (done % 500 == 0 || done == local) cli.Error.Write($"\rconnecting: {done:N0}/{local:N0}   "); } : null;
                WarnIfLimited(cli, limit, local);
                await fleet.ConnectAsync(local, s.Parallel, OpenFileLimit.Room(limit, SpareFiles), progress, ct).ConfigureAwait(false);
                if (showProgress) cli.Error.WriteLine();
                established = fleet.Established;
                keepaliveTask = fleet.KeepAliveAsync(TimeSpan.FromSeconds(s.Keepalive), holdOver.Token);
            }
            else
            {
                established = await StartChildrenAsync(cli, s, arguments, children, ct).ConfigureAwait(false);
            }
            double connectSeconds = clock.Elapsed.TotalSeconds;

            // The hold: fresh echoes as a new user would make them, and the server's memory every second.
            var probe = new FreshEchoProbe(options, TimeSpan.FromMilliseconds(20));
            var probeTask = probe.RunAsync(holdOver.Token);
            long? peak = before;
            long? serverConnections = null;
            var holdClock = Stopwatch.StartNew();
            while (holdClock.Elapsed.TotalSeconds < s.Hold)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(1, Math.Max(0.05, s.Hold - holdClock.Elapsed.TotalSeconds))), ct).ConfigureAwait(false);
                if (await memory.ReadResidentBytesAsync(ct).ConfigureAwait(false) is { } now) peak = Math.Max(peak ?? 0, now);
                serverConnections = await memory.ReadServerConnectionsAsync(ct).ConfigureAwait(false) ?? serverConnections;
                if (showProgress) cli.Error.Write($"\rholding {established:N0} connections: {holdClock.Elapsed.TotalSeconds:0}/{s.Hold:0} s   ");
            }
            if (showProgress) cli.Error.WriteLine();
            await holdOver.CancelAsync().ConfigureAwait(false);
            await probeTask.ConfigureAwait(false);
            await keepaliveTask.ConfigureAwait(false);

            if (local > 0)
            {
                foreach (var t in fleet.HandshakeTicks) handshakes.Record(t);
                foreach (var (why, n) in fleet.Failures) failures[why] = n;
                fileLimit = fleet.StoppedByFileLimit;
                keepaliveOk = fleet.KeepaliveOk;
                keepaliveFailed = fleet.KeepaliveFailed;
            }
            else
            {
                foreach (var report in await StopChildrenAsync(children).ConfigureAwait(false))
                {
                    foreach (var micros in report.HandshakeMicros) handshakes.Record((long)(micros * Stopwatch.Frequency / 1e6));
                    foreach (var (why, n) in report.Failures) failures[why] = failures.GetValueOrDefault(why) + n;
                    fileLimit |= report.StoppedByFileLimit;
                    keepaliveOk += report.KeepaliveOk;
                    keepaliveFailed += report.KeepaliveFailed;
                }
            }

            var hs = LatencyRecorder.Summarize([handshakes]);
            var fresh = LatencyRecorder.Summarize([probe.Total]);
            var freshEcho = LatencyRecorder.Summarize([probe.EchoOnly]);
            double? perConnection = before is { } b && peak is { } p && established > 0 ? Math.Round((double)(p - b) / established) : null;
            return new ConnsBenchReport(options.Target.ToString(), s.Count, s.Processes, established, s.Count - established, failures, fileLimit,
                limit is { } l ? (long)l.Soft : null, Math.Round(hs.P50Micros, 1), Math.Round(hs.P99Micros, 1), Math.Round(connectSeconds, 2), s.Hold,
                keepaliveOk, keepaliveFailed, serverConnections, memory.Source, before, peak, perConnection,
                fresh.Samples, Math.Round(fresh.P50Micros, 1), Math.Round(fresh.P99Micros, 1), Math.Round(freshEcho.P99Micros, 1), probe.Errors);
        }
        finally
        {
            await holdOver.CancelAsync().ConfigureAwait(false);
            foreach (var process in children)
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.Dispose();
            }
        }
    }

    private static void WarnIfLimited(CliContext cli, (ulong Soft, ulong Hard)? limit, int wanted)
    {
        if (limit is not { } l || OpenFileLimit.Room(limit, SpareFiles) is not { } room || room >= wanted) return;
        cli.Error.WriteLine($"ferry bench conns: the open-file limit is {l.Soft} (hard limit {l.Hard}), so this process can hold about " +
            $"{room} connections, not {wanted}. Raise the hard limit (as root: ulimit -Hn / LimitNOFILE=) or spread the load with --processes.");
    }

    // One child per process, each holding its share; a child prints "ready N" once connected and holds until
    // its standard input closes, then prints its report as JSON.
    // This program again. When this process is the CLI's own native binary (Native AOT, the apphost, or an installed
    // 'ferry'), that file; otherwise (the CLI inside another host, as in tests, or 'dotnet Ferry.Cli.dll') the apphost
    // beside the CLI's files, else 'dotnet Ferry.Cli.dll'. AppContext.BaseDirectory, not Assembly.Location: a single-file
    // or AOT binary has no assembly files.
    private static (string File, string[] Prefix) SelfCommand()
    {
        var exe = Environment.ProcessPath;
        if (exe is not null && Assembly.GetEntryAssembly() == typeof(BenchConnsCommand).Assembly
            && !string.Equals(Path.GetFileNameWithoutExtension(exe), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return (exe, []);
        }
        var launcher = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "Ferry.Cli.exe" : "Ferry.Cli");
        return File.Exists(launcher) ? (launcher, []) : ("dotnet", [Path.Combine(AppContext.BaseDirectory, "Ferry.Cli.dll")]);
    }

    private static async Task<int> StartChildrenAsync(CliContext cli, ConnsBenchSettings s, IReadOnlyList<string> arguments, List<Process> children, CancellationToken ct)
    {
        var baseArgs = ChildArguments(arguments);
        if (baseArgs.Count < 2 || baseArgs[0] != "bench") baseArgs.InsertRange(0, ["bench", "conns"]);
        var (self, prefix) = SelfCommand();
        baseArgs.InsertRange(0, prefix);
        int processes = Math.Min(s.Processes, s.Count);
        for (int i = 0; i < processes; i++)
        {
            int share = s.Count / processes + (i < s.Count % processes ? 1 : 0);
            var start = new ProcessStartInfo(self)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = false,
                UseShellExecute = false,
            };
            foreach (var a in baseArgs) start.ArgumentList.Add(a);
            foreach (var a in new[] { "--count", share.ToString(System.Globalization.CultureInfo.InvariantCulture), "--child" }) start.ArgumentList.Add(a);
            children.Add(Process.Start(start) ?? throw new InvalidOperationException("could not start a child process"));
        }
        int established = 0;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromMinutes(5));
        foreach (var process in children)
        {
            var line = await process.StandardOutput.ReadLineAsync(deadline.Token).ConfigureAwait(false);
            if (line is not null && line.StartsWith("ready ", StringComparison.Ordinal)) established += int.Parse(line[6..], System.Globalization.CultureInfo.InvariantCulture);
            else cli.Error.WriteLine($"ferry bench conns: a child process ended early (exit {(process.HasExited ? process.ExitCode : -1)})");
        }
        return established;
    }

    private static async Task<List<ConnsChildReport>> StopChildrenAsync(List<Process> children)
    {
        foreach (var process in children) process.StandardInput.Close();
        var reports = new List<ConnsChildReport>();
        foreach (var process in children)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var text = await process.StandardOutput.ReadToEndAsync(deadline.Token).ConfigureAwait(false);
            var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
            if (line is not null && JsonSerializer.Deserialize(line, ConnsBenchJsonContext.Default.ConnsChildReport) is { } report) reports.Add(report);
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        return reports;
    }

    // The parent's own arguments minus what the parent alone decides.
    private static List<string> ChildArguments(IEnumerable<string> args)
    {
        var result = new List<string>();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            var name = arg.Split('=', 2)[0];
            if (name is "--json" or "--child") continue;
            if (name is "--count" or "-n" or "--processes" or "--server-pid")
            {
                if (!arg.Contains('=', StringComparison.Ordinal)) e.MoveNext();
                continue;
            }
            result.Add(arg);
        }
        result.AddRange(["--processes", "1", "--json"]);
        return result;
    }

    private static async Task<int> RunChildAsync(CliContext cli, FerryClientOptions options, ConnsBenchSettings s, CancellationToken ct)
    {
        var limit = OpenFileLimit.Raise((ulong)(s.Count + SpareFiles));
        WarnIfLimited(cli, limit, s.Count);
        await using var fleet = new ConnectionFleet(options);
        await fleet.ConnectAsync(s.Count, s.Parallel, OpenFileLimit.Room(limit, SpareFiles), null, ct).ConfigureAwait(false);
        int established = fleet.Established;
        cli.Out.WriteLine($"ready {established}");
        cli.Out.Flush();
        using var holdOver = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var keepalive = fleet.KeepAliveAsync(TimeSpan.FromSeconds(s.Keepalive), holdOver.Token);
        // Hold until the parent closes our input; bounded in case the parent dies without closing it.
        using var reader = new StreamReader(cli.StdIn);
        await ((Task)reader.ReadToEndAsync(ct)).WaitAsync(TimeSpan.FromSeconds(s.Hold * 3 + 300), ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await holdOver.CancelAsync().ConfigureAwait(false);
        await keepalive.ConfigureAwait(false);
        var report = new ConnsChildReport(established, new Dictionary<string, int>(fleet.Failures, StringComparer.Ordinal), fleet.StoppedByFileLimit,
            fleet.HandshakeTicks.Select(t => Math.Round(t * 1e6 / Stopwatch.Frequency, 1)).ToArray(), fleet.KeepaliveOk, fleet.KeepaliveFailed);
        cli.Out.WriteLine(JsonSerializer.Serialize(report, ConnsBenchJsonContext.Default.ConnsChildReport));
        return ExitCodes.Ok;
    }

    private static void Render(CliContext cli, ConnsBenchReport r)
    {
        static string Mib(long? bytes) => bytes is { } b ? $"{b / (1024.0 * 1024):N1} MiB" : "n/a";
        var table = new Table().Border(TableBorder.Rounded).AddColumn("connections").AddColumn(new TableColumn("result").RightAligned());
        table.AddRow("target", Markup.Escape(r.Target));
        table.AddRow("requested (processes)", $"{r.Requested:N0} ({r.Processes})");
        table.AddRow("[bold]established[/]", r.Established == r.Requested ? $"[bold]{r.Established:N0}[/]" : $"[bold red]{r.Established:N0}[/]");
        table.AddRow("failed", r.Failed == 0 ? "0" : $"[red]{r.Failed:N0}[/]");
        foreach (var (why, n) in r.Failures) table.AddRow(Markup.Escape($"  {why}"), $"{n:N0}");
        if (r.StoppedByFileLimit) table.AddRow("[red]stopped by[/]", "[red]the open-file limit (see --processes)[/]");
        table.AddRow("open-file limit", r.OpenFileLimit?.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) ?? "n/a");
        table.AddRow("time to open all", $"{r.ConnectSeconds:0.##} s");
        table.AddRow("handshake p50 / p99", $"{r.HandshakeP50Micros / 1000:0.##} / {r.HandshakeP99Micros / 1000:0.##} ms");
        table.AddRow("held for", $"{r.HoldSeconds:0.#} s");
        table.AddRow("keepalive echoes ok / failed", $"{r.KeepaliveOk:N0} / {r.KeepaliveFailed:N0}");
        table.AddRow("server counts open", r.ServerConnections?.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) ?? "n/a");
        table.AddRow(Markup.Escape($"server RSS before / peak ({r.MemorySource})"), $"{Mib(r.ServerRssBeforeBytes)} / {Mib(r.ServerRssPeakBytes)}");
        table.AddRow("[bold]server memory per connection[/]", r.BytesPerConnection is { } per ? $"[bold]{per / 1024:0.0} KiB[/]" : "n/a");
        table.AddRow("fresh echo connections", $"{r.FreshSamples:N0} ({r.FreshErrors} errors)");
        table.AddRow("fresh connect+echo p50 / p99", $"{r.FreshP50Micros / 1000:0.##} / [bold]{r.FreshP99Micros / 1000:0.##}[/] ms");
        table.AddRow("fresh echo alone p99", $"{r.FreshEchoOnlyP99Micros / 1000:0.##} ms");
        cli.WriteTable(table);
    }
}

internal sealed record ConnsBenchSettings(int Count, double Hold, int Processes, double Keepalive, int Parallel, int? ServerPid);

internal sealed record ConnsBenchReport(string Target, int Requested, int Processes, int Established, int Failed, Dictionary<string, int> Failures,
    bool StoppedByFileLimit, long? OpenFileLimit, double HandshakeP50Micros, double HandshakeP99Micros, double ConnectSeconds, double HoldSeconds,
    long KeepaliveOk, long KeepaliveFailed, long? ServerConnections, string MemorySource, long? ServerRssBeforeBytes, long? ServerRssPeakBytes,
    double? BytesPerConnection, long FreshSamples, double FreshP50Micros, double FreshP99Micros, double FreshEchoOnlyP99Micros, int FreshErrors);

internal sealed record ConnsChildReport(int Established, Dictionary<string, int> Failures, bool StoppedByFileLimit, double[] HandshakeMicros,
    long KeepaliveOk, long KeepaliveFailed);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ConnsBenchReport))]
[JsonSerializable(typeof(ConnsChildReport))]
internal sealed partial class ConnsBenchJsonContext : JsonSerializerContext
{
}

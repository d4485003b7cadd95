using System.CommandLine;
using System.Text.Json;
using Ferry.Cli.Infrastructure;
using Ferry.Client;

namespace Ferry.Cli.Commands.Files;

/// <summary>
/// <c>ferry sync SRC DEST</c>: one-way mirror of a folder between here and a server's root, either way; thin over
/// <see cref="FileSync"/> (planning, sending, deleting), with the put/get progress display.
/// </summary>
internal static class SyncCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var source = new Argument<string>("SRC") { Description = "The folder to copy from: a local folder, or HOST:PATH (a folder under the server's root)" };
        var destination = new Argument<string>("DEST") { Description = "The folder to make a mirror of SRC: HOST:PATH, or a local folder (created if missing)" };
        var checksum = new Option<bool>("--checksum") { Description = "Compare files of the same size by SHA-256 (the server hashes its side) instead of by modification time" };
        var delete = new Option<bool>("--delete") { Description = "Remove files and folders in DEST that SRC lacks (excluded paths are kept; never follows links)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be sent, deleted and skipped; change nothing" };
        var exclude = new Option<string[]>("--exclude")
        {
            Description = "Leave out paths matching a gitignore-like PATTERN (repeatable): *.log, build/, /top-only, **/tmp",
            AllowMultipleArgumentsPerToken = false,
        };
        var restart = new Option<bool>("--restart") { Description = "Throw away partial copies an interrupted sync left (by default they are checked by hash and continued)" };
        var compress = TransferOptions.CompressOption();
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing but errors" };
        var json = CommonOptions.Json();
        var command = new Command("sync",
            "Make DEST a mirror of SRC, one way: files are compared by size and modification time (or --checksum) and only " +
            "those that differ are sent, each verified by SHA-256 and renamed into place only when whole; mtime and mode are " +
            "kept. One side is HOST:PATH on a Ferry server, the other a local folder. Run it again after an interruption: " +
            "finished files are not sent again and a half-sent large file continues where it stopped.\n" +
            "Examples: ferry sync ./photos localhost:backup/photos --delete\n" +
            "          ferry sync localhost:backup/photos ./photos --dry-run\n" +
            "          ferry sync ./src 127.0.0.1:7070:src --exclude bin/ --exclude obj/ --exclude '*.log'");
        command.Add(source);
        command.Add(destination);
        connect.AddTo(command, withTarget: false);
        command.Add(checksum);
        command.Add(delete);
        command.Add(dryRun);
        command.Add(exclude);
        command.Add(restart);
        command.Add(compress);
        command.Add(quiet);
        command.Add(json);
        command.SetAction(async (result, ct) =>
        {
            var src = result.GetValue(source)!;
            var dst = result.GetValue(destination)!;
            var (srcHost, srcPath) = SplitRemote(src);
            var (dstHost, dstPath) = SplitRemote(dst);
            if ((srcHost is null) == (dstHost is null))
            {
                throw new CliUsageException(srcHost is null
                    ? $"one side must be HOST:PATH on a server (as in 'ferry sync {src} localhost:{Path.GetFileName(Path.TrimEndingDirectorySeparator(src))}')"
                    : "both sides are remote; one must be a local folder");
            }
            var direction = srcHost is not null ? SyncDirection.Download : SyncDirection.Upload;
            var host = srcHost ?? dstHost!;
            var remote = srcHost is not null ? srcPath : dstPath;
            var local = srcHost is not null ? dst : src;
            SyncExcludes excludes;
            try
            {
                excludes = new SyncExcludes(result.GetValue(exclude) ?? []);
            }
            catch (ArgumentException ex)
            {
                throw new CliUsageException($"--exclude: {ex.Message.Split(" (Parameter")[0]}");
            }
            var options = new SyncOptions
            {
                Checksum = result.GetValue(checksum),
                Delete = result.GetValue(delete),
                Restart = result.GetValue(restart),
                Excludes = excludes,
                Compress = result.GetValue(compress),
            };
            var output = result.GetValue(json) ? TransferOutput.Json : result.GetValue(quiet) ? TransferOutput.Quiet : TransferOutput.Text;
            await using var client = await FerryClient.ConnectAsync(connect.Options(result, host), ct).ConfigureAwait(false);
            var started = TimeProvider.System.GetUtcNow();
            long startTicks = TimeProvider.System.GetTimestamp();
            var plan = await FileSync.PlanAsync(client, direction, local, remote, options, ct).ConfigureAwait(false);
            if (result.GetValue(dryRun))
            {
                PrintPlan(cli, plan, output, started);
                return ExitCodes.Ok;
            }
            var window = new TransferWindow();
            await FileSync.PrepareAsync(client, plan, window, ct).ConfigureAwait(false);
            var jobs = plan.Send.Select(f => new TransferJob(f.Path, plan.DestinationOf(f.Path), f.Size)).ToList();
            var byJob = jobs.Zip(plan.Send).ToDictionary(p => p.First, p => p.Second); // paths are unique, so jobs are
            var sent = new List<(SyncFile File, FileTransferResult Result)>();
            var renderer = new TransferRenderer(cli, "sync", output, TimeProvider.System) { FinalReport = false };
            int code = await renderer.RunAsync(jobs, resumable: true, [], async (job, progress) =>
            {
                var file = byJob[job];
                var done = await FileSync.SendAsync(client, plan, file, options, progress, ct).ConfigureAwait(false);
                lock (sent) sent.Add((file, done));
                return done;
            }, ct, window).ConfigureAwait(false);
            if (code != ExitCodes.Ok) return code;
            var elapsed = TimeProvider.System.GetElapsedTime(startTicks);
            var ordered = sent.OrderBy(s => s.File.Path, StringComparer.Ordinal).ToList();
            if (output == TransferOutput.Json)
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(Report(plan, ordered, dryRun: false, started, elapsed), FilesCliJsonContext.Default.SyncReport));
            }
            else if (output == TransferOutput.Text)
            {
                long resumed = ordered.Sum(s => s.Result.ResumedFrom);
                var resumedText = resumed > 0 ? $" ({ByteSizes.Format(resumed)} resumed)" : "";
                var results = ordered.Select(s => s.Result).ToList();
                cli.Error.WriteLine($"sent {Count(ordered.Count, "file")}, {ByteSizes.Format(ordered.Sum(s => s.Result.Size))}{resumedText}{TransferRenderer.WireNote(results)}; " +
                    $"{plan.Unchanged} unchanged; deleted {plan.Delete.Count}{Folders(plan)}{Skipped(plan)} in {ByteSizes.Seconds(elapsed)}, {TransferRenderer.FileRate(results, elapsed)}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// HOST:PATH names a server's folder; anything starting with '/', '.' or '~', or without a ':', is local. The
    /// path is what follows the last ':' (server paths never contain one), so HOST may carry a port: 127.0.0.1:7070:dir.
    /// </summary>
    internal static (string? Host, string Path) SplitRemote(string text)
    {
        if (text.Length == 0 || text[0] is '/' or '.' or '~' || OperatingSystem.IsWindows() && text.Length > 1 && text[1] == ':') return (null, text);
        int colon = text.LastIndexOf(':');
        if (colon <= 0) return (null, text);
        // "[::1]" alone is an address, not HOST:PATH; "[::1]:dir" is.
        if (text.StartsWith('[') && text.IndexOf(']', StringComparison.Ordinal) > colon) return (null, text);
        return (text[..colon], text[(colon + 1)..]);
    }

    private static void PrintPlan(CliContext cli, SyncPlan plan, TransferOutput output, DateTimeOffset started)
    {
        if (output == TransferOutput.Json)
        {
            cli.Out.WriteLine(JsonSerializer.Serialize(Report(plan, [], dryRun: true, started, TimeSpan.Zero), FilesCliJsonContext.Default.SyncReport));
            return;
        }
        if (output == TransferOutput.Quiet) return;
        foreach (var path in plan.Delete) cli.Out.WriteLine($"delete  {Shown(path)}");
        foreach (var path in plan.Folders) cli.Out.WriteLine($"mkdir   {Shown(path)}");
        foreach (var file in plan.Send) cli.Out.WriteLine($"send    {Shown(file.Path)} ({ByteSizes.Format(file.Size)}, {file.Reason})");
        foreach (var (path, why) in plan.Skipped) cli.Out.WriteLine($"skip    {Shown(path)} ({why})");
        cli.Error.WriteLine($"dry run: would send {Count(plan.Send.Count, "file")}, {ByteSizes.Format(plan.SendBytes)}; {plan.Unchanged} unchanged; " +
            $"would delete {plan.Delete.Count}{Folders(plan, dryRun: true)}{Skipped(plan)}; nothing was changed");
    }

    private static string Folders(SyncPlan plan, bool dryRun = false) =>
        plan.Folders.Count == 0 ? "" : dryRun ? $", create {Count(plan.Folders.Count, "folder")}" : $"; {Count(plan.Folders.Count, "folder")} created";

    private static string Skipped(SyncPlan plan) => plan.Skipped.Count > 0 ? $"; {plan.Skipped.Count} skipped" : "";

    private static string Count(int n, string what) => $"{n} {what}{(n == 1 ? "" : "s")}";

    // A name with control characters must not move the cursor or colour the terminal.
    private static string Shown(string text) => text.Any(char.IsControl) ? new string([.. text.Select(c => char.IsControl(c) ? '?' : c)]) : text;

    private static SyncReport Report(SyncPlan plan, List<(SyncFile File, FileTransferResult Result)> sent, bool dryRun, DateTimeOffset started, TimeSpan elapsed) => new()
    {
        Direction = plan.Direction == SyncDirection.Upload ? "put" : "get",
        DryRun = dryRun,
        Local = plan.LocalFolder,
        Remote = plan.RemoteFolder,
        Sent = dryRun
            ? [.. plan.Send.Select(f => new SyncReportFile { Path = f.Path, Size = f.Size, Reason = f.Reason })]
            : [.. sent.Select(s => new SyncReportFile
            {
                Path = s.File.Path,
                Size = s.Result.Size,
                Reason = s.File.Reason,
                MovedBytes = s.Result.BytesMoved,
                ResumedBytes = s.Result.ResumedFrom,
                WireBytes = s.Result.WireBytes,
                Delta = s.Result.Delta,
                Compressed = s.Result.Compressed,
                Sha256 = s.Result.Sha256,
            })],
        Deleted = [.. plan.Delete],
        Folders = [.. plan.Folders],
        Skipped = [.. plan.Skipped.Select(s => new SyncReportSkip { Path = s.Path, Why = s.Why })],
        Unchanged = plan.Unchanged,
        TotalBytes = dryRun ? plan.SendBytes : sent.Sum(s => s.Result.Size),
        MovedBytes = sent.Sum(s => s.Result.BytesMoved),
        ResumedBytes = sent.Sum(s => s.Result.ResumedFrom),
        WireBytes = sent.Sum(s => s.Result.WireBytes),
        StartedAt = started,
        DurationSeconds = Math.Round(elapsed.TotalSeconds, 3),
    };
}

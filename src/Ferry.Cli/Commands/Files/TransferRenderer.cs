using System.Text;
using System.Text.Json;
using Ferry.Cli.Infrastructure;
using Ferry.Client;

namespace Ferry.Cli.Commands.Files;

/// <summary>How a batch of transfers reports itself.</summary>
internal enum TransferOutput
{
    /// <summary>A live bar on stderr when it is a terminal, then one summary line on stderr.</summary>
    Text,

    /// <summary>Nothing but errors.</summary>
    Quiet,

    /// <summary>One JSON object on stdout at the end (<see cref="TransferReport"/>); nothing else.</summary>
    Json,
}

/// <summary>
/// Runs a batch of transfers (several at once through a <see cref="TransferWindow"/>) and shows them. On a terminal (stderr): one overall line (files
/// done/total, bytes, bar, rate, time left) and the current file, its name shortened in the middle to fit, redrawn
/// ten times a second; then a summary line ("sent 3 files, 1.2 GiB (700 MiB resumed) in 4.2 s, 120 MiB/s"). When
/// stderr is not a terminal, only the summary. Stdout stays free for data (<c>get NAME -</c>) and <c>--json</c>.
/// Ctrl+C ends with one line saying how far it got and how to continue (exit 130).
/// </summary>
internal sealed class TransferRenderer(CliContext cli, string verb, TransferOutput output, TimeProvider time)
{
    private static readonly TimeSpan s_redraw = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_rateWindow = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly Queue<(long Ticks, long Moved)> _samples = new();
    private readonly Dictionary<TransferJob, Active> _active = new(ReferenceEqualityComparer.Instance);
    private IReadOnlyList<TransferJob> _jobs = [];
    private int _filesDone;
    private long _bytesDone;     // whole files finished
    private long _bytesTotal;
    private long _moved;         // bytes that crossed the network this run, finished files
    private long _resumed;       // bytes kept from earlier attempts, finished files
    private TransferJob? _current; // the file shown on the second line: the one that reported last
    private bool _drawn;

    // One file in flight: its last report, and where it started moving (its resumed prefix; -1 until known).
    private sealed class Active(TransferJob job)
    {
        public FileTransferProgress Progress = new(job.Source, 0, job.Size);
        public long Start = -1;
    }

    private string Past => verb == "get" ? "received" : "sent";

    /// <summary>Whether <see cref="RunAsync"/> ends with its own summary line or JSON report (sync prints its own).</summary>
    public bool FinalReport { get; init; } = true;

    /// <summary>
    /// Runs <paramref name="jobs"/>, several at once through <paramref name="window"/> (one after another without it);
    /// returns the exit code (0, or 130 after Ctrl+C). <paramref name="resumable"/> says
    /// whether running the command again continues where it stopped (not for stdin or stdout).
    /// </summary>
    public async Task<int> RunAsync(IReadOnlyList<TransferJob> jobs, bool resumable, IReadOnlyList<string> skipped,
        Func<TransferJob, Action<FileTransferProgress>?, Task<FileTransferResult>> transfer, CancellationToken cancellationToken,
        TransferWindow? window = null)
    {
        _jobs = jobs;
        _bytesTotal = jobs.Sum(j => j.Size);
        var started = time.GetUtcNow();
        long startTicks = time.GetTimestamp();
        IReadOnlyList<FileTransferResult> done;
        bool live = output == TransferOutput.Text && cli.StdErrIsTerminal;
        using var stopDrawing = new CancellationTokenSource();
        var drawing = live ? DrawLoopAsync(stopDrawing.Token) : Task.CompletedTask;
        try
        {
            done = await (window ?? new TransferWindow(maxFiles: 1)).RunAsync(jobs, j => j.Size, async (job, ct) =>
            {
                ct.ThrowIfCancellationRequested();
                var active = new Active(job);
                lock (_gate)
                {
                    _active[job] = active;
                    _current = job;
                }
                var result = await transfer(job, progress => OnProgress(job, active, progress)).ConfigureAwait(false);
                lock (_gate)
                {
                    _active.Remove(job);
                    _filesDone++;
                    _bytesDone += result.Size;
                    _bytesTotal += result.Size - job.Size; // a size not known up front (or changed) counts as it was
                    _moved += result.BytesMoved;
                    _resumed += result.ResumedFrom;
                    if (ReferenceEquals(_current, job)) _current = _active.Keys.FirstOrDefault();
                }
                return result;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            await StopAsync(stopDrawing, drawing).ConfigureAwait(false);
            cli.Error.WriteLine($"ferry: {InterruptedLine(resumable)}");
            return ExitCodes.Interrupted;
        }
        catch
        {
            await StopAsync(stopDrawing, drawing).ConfigureAwait(false);
            throw;
        }
        var results = jobs.Zip(done, (job, result) => (job, result)).ToList();
        await StopAsync(stopDrawing, drawing).ConfigureAwait(false);
        var elapsed = time.GetElapsedTime(startTicks);
        if (!FinalReport) return ExitCodes.Ok;
        switch (output)
        {
            case TransferOutput.Json:
                cli.Out.WriteLine(JsonSerializer.Serialize(Report(results, skipped, started, time.GetUtcNow(), elapsed), FilesCliJsonContext.Default.TransferReport));
                break;
            case TransferOutput.Text:
                cli.Error.WriteLine(Summary(results, elapsed));
                break;
        }
        return ExitCodes.Ok;
    }

    private void OnProgress(TransferJob job, Active active, FileTransferProgress progress)
    {
        lock (_gate)
        {
            active.Progress = progress;
            _current = job;
            // The first report that is not a check is where this run's bytes start (after any resumed prefix).
            if (!progress.Checking && active.Start < 0) active.Start = progress.Done;
            if (progress.Done < active.Start) active.Start = progress.Done; // the kept copy did not match: sent whole
        }
    }

    private (long Done, long Moved) Totals()
    {
        long done = _bytesDone, moved = _moved;
        foreach (var active in _active.Values)
        {
            if (!active.Progress.Checking) done += active.Progress.Done;
            if (active.Start >= 0) moved += Math.Max(0, active.Progress.Done - active.Start);
        }
        return (done, moved);
    }

    private string InterruptedLine(bool resumable)
    {
        lock (_gate)
        {
            var (done, _) = Totals();
            var hint = resumable && done > 0 ? "; run the same command again to resume" : "";
            return $"interrupted: {ByteSizes.Format(done)} of {ByteSizes.Format(_bytesTotal)} {Past}{hint}";
        }
    }

    /// <summary>
    /// What went on the wire when that was not the files themselves: " (1.7 MiB on the wire, as a delta)"; empty
    /// otherwise. Says how, so "sent 1.0 GiB" for a delta of a megabyte does not read as a gigabyte moved.
    /// </summary>
    internal static string WireNote(IEnumerable<FileTransferResult> results)
    {
        bool delta = false, compressed = false;
        long wire = 0;
        foreach (var result in results)
        {
            delta |= result.Delta;
            compressed |= result.Compressed;
            wire += result.WireBytes;
        }
        if (!delta && !compressed) return "";
        var how = (delta, compressed) switch
        {
            (true, true) => "as deltas, compressed",
            (true, false) => "as deltas",
            _ => "compressed",
        };
        return $" ({ByteSizes.Format(wire)} on the wire, {how})";
    }

    /// <summary>The files' own bytes per second (what was not there already): a delta or compression moves fewer on the wire.</summary>
    internal static string FileRate(IEnumerable<FileTransferResult> results, TimeSpan elapsed) =>
        ByteSizes.Rate(results.Sum(r => r.Size - r.ResumedFrom), elapsed);

    private string Summary(List<(TransferJob Job, FileTransferResult Result)> results, TimeSpan elapsed)
    {
        long size = results.Sum(r => r.Result.Size);
        long resumed = results.Sum(r => r.Result.ResumedFrom);
        int restarted = results.Count(r => r.Result.Restarted);
        var text = new StringBuilder($"{Past} {results.Count} file{(results.Count == 1 ? "" : "s")}, {ByteSizes.Format(size)}");
        if (resumed > 0) text.Append($" ({ByteSizes.Format(resumed)} resumed)");
        text.Append(WireNote(results.Select(r => r.Result)));
        text.Append($" in {ByteSizes.Seconds(elapsed)}, {FileRate(results.Select(r => r.Result), elapsed)}");
        if (restarted > 0)
        {
            text.Append($"; {restarted} partial cop{(restarted == 1 ? "y" : "ies")} did not match and {(restarted == 1 ? "was" : "were")} {Past} whole");
        }
        return text.ToString();
    }

    private TransferReport Report(List<(TransferJob Job, FileTransferResult Result)> results, IReadOnlyList<string> skipped,
        DateTimeOffset started, DateTimeOffset finished, TimeSpan elapsed) => new()
    {
        Command = verb,
        Files = [.. results.Select(r => new TransferReportFile
        {
            Source = r.Job.Source,
            Destination = r.Job.Destination,
            Size = r.Result.Size,
            ResumedBytes = r.Result.ResumedFrom,
            MovedBytes = r.Result.BytesMoved,
            Restarted = r.Result.Restarted,
            WireBytes = r.Result.WireBytes,
            Delta = r.Result.Delta,
            Compressed = r.Result.Compressed,
            Sha256 = r.Result.Sha256,
            DurationSeconds = Math.Round(r.Result.Elapsed.TotalSeconds, 3),
        })],
        Skipped = [.. skipped],
        FileCount = results.Count,
        TotalBytes = results.Sum(r => r.Result.Size),
        ResumedBytes = results.Sum(r => r.Result.ResumedFrom),
        MovedBytes = results.Sum(r => r.Result.BytesMoved),
        WireBytes = results.Sum(r => r.Result.WireBytes),
        StartedAt = started,
        FinishedAt = finished,
        DurationSeconds = Math.Round(elapsed.TotalSeconds, 3),
        BytesPerSecond = elapsed.TotalSeconds > 0 ? (long)(results.Sum(r => r.Result.BytesMoved) / elapsed.TotalSeconds) : 0,
    };

    private async Task StopAsync(CancellationTokenSource stop, Task drawing)
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await drawing.ConfigureAwait(false);
        if (_drawn) cli.Error.Write("\r\e[2K\e[1A\e[2K"); // clear both lines; the summary takes their place
    }

    private async Task DrawLoopAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(s_redraw, time);
        try
        {
            do
            {
                Draw();
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // Finished (or interrupted): the caller clears the lines.
        }
        catch (IOException)
        {
            // The terminal went away; the transfer goes on without a display.
        }
    }

    private void Draw()
    {
        string top, bottom;
        int width = TerminalWidth();
        lock (_gate)
        {
            var (done, moved) = Totals();
            long now = time.GetTimestamp();
            _samples.Enqueue((now, moved));
            while (_samples.Count > 2 && time.GetElapsedTime(_samples.Peek().Ticks, now) > s_rateWindow) _samples.Dequeue();
            var (firstTicks, firstMoved) = _samples.Peek();
            var span = time.GetElapsedTime(firstTicks, now);
            double rate = span.TotalSeconds > 0.2 ? (moved - firstMoved) / span.TotalSeconds : 0;
            top = TransferLine.Overall(verb, _filesDone, _jobs.Count, done, _bytesTotal, rate, width);
            bottom = _current is not null && _active.TryGetValue(_current, out var shown)
                ? TransferLine.Current(_current.Source, shown.Progress, shown.Start, verb, width)
                : "";
        }
        var frame = _drawn ? $"\r\e[1A\e[2K{top}\n\e[2K{bottom}" : $"{top}\n{bottom}";
        _drawn = true;
        cli.Error.Write(frame);
        cli.Error.Flush();
    }

    private static int TerminalWidth()
    {
        try
        {
            int width = Console.WindowWidth;
            return width > 0 ? width : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }
}

/// <summary>The two lines of the live display, each kept shorter than the terminal is wide so that nothing wraps.</summary>
internal static class TransferLine
{
    public static string Overall(string verb, int filesDone, int files, long done, long total, double rate, int width)
    {
        var counts = files > 1 ? $"  {filesDone}/{files} files" : "";
        int percent = total > 0 ? (int)Math.Min(100, done * 100 / total) : 0;
        var amounts = $"  {ByteSizes.Format(done)} / {ByteSizes.Format(total)}";
        var speed = rate > 0 ? $"  {ByteSizes.Format((long)rate)}/s" : "";
        var left = rate > 0 && total > done ? $"  {ByteSizes.Clock(TimeSpan.FromSeconds(Math.Min((total - done) / rate, 359_999)))} left" : "";
        var tail = $" {percent,3}%{speed}{left}";
        var head = verb + counts + amounts;
        int barWidth = width - 1 - head.Length - tail.Length - 4;
        if (barWidth >= 8)
        {
            barWidth = Math.Min(barWidth, 40);
            int filled = total > 0 ? (int)(barWidth * Math.Min(1.0, (double)done / total)) : 0;
            return $"{head}  [{new string('#', filled)}{new string('-', barWidth - filled)}]{tail}";
        }
        // A narrow terminal: drop the bar, then the time left, then the rate, then the file counts.
        foreach (var candidate in (string[])[head + tail, $"{head} {percent,3}%{speed}", $"{head} {percent,3}%", $"{verb}{amounts} {percent,3}%"])
        {
            if (candidate.Length < width) return candidate;
        }
        return Fit($"{verb} {percent}%", width);
    }

    public static string Current(string name, FileTransferProgress progress, long start, string verb, int width)
    {
        string state;
        if (progress.Checking)
        {
            state = progress.Done > 0
                ? $"checking {ByteSizes.Format(progress.Done)} already {(verb == "get" ? "received" : "sent")}… "
                : "checking for a partial copy… ";
        }
        else
        {
            state = progress.Total > 0 ? $"{(int)Math.Min(100, progress.Done * 100 / progress.Total),3}% " : "";
            if (start > 0) state += $"(resumed at {ByteSizes.Format(start)}) ";
        }
        var prefix = "  " + state;
        int room = width - 1 - prefix.Length;
        return room < 5 ? Fit(prefix, width) : prefix + ShortenMiddle(name, room);
    }

    /// <summary>Shortens <paramref name="text"/> to at most <paramref name="room"/> characters, cutting out its middle.</summary>
    public static string ShortenMiddle(string text, int room)
    {
        text = Printable(text);
        if (text.Length <= room) return text;
        if (room <= 1) return "…"[..room];
        int keep = room - 1;
        int head = keep / 2;
        int tail = keep - head;
        if (char.IsHighSurrogate(text[head - 1])) head--; // never split a character in two
        if (char.IsLowSurrogate(text[text.Length - tail])) tail--;
        return string.Concat(text.AsSpan(0, head), "…", text.AsSpan(text.Length - tail));
    }

    private static string Fit(string line, int width) => line.Length < width ? line : ShortenMiddle(line, Math.Max(1, width - 1));

    // A name with control characters (a newline, an escape) must not move the cursor or colour the terminal.
    private static string Printable(string text) =>
        text.Any(char.IsControl) ? new string([.. text.Select(c => char.IsControl(c) ? '?' : c)]) : text;
}

using System.Diagnostics;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Spectre.Console;

namespace Ferry.Cli.Commands.Files;

/// <summary>
/// Shows a batch of transfers: on a terminal, a progress bar per file (bytes, percent, rate, time left) and a
/// summary line; otherwise one line per finished file and the summary; nothing with --quiet.
/// </summary>
internal sealed class TransferRenderer(CliContext cli, bool quiet)
{
    public async Task RunAsync(string verb, IReadOnlyList<TransferJob> jobs,
        Func<TransferJob, Action<FileTransferProgress>?, Task<FileTransferResult>> transfer, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long moved = 0;
        if (cli.StdOutIsTerminal && !quiet)
        {
            await cli.Console.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    foreach (var job in jobs)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var task = context.AddTask(Markup.Escape(job.Label), maxValue: Math.Max(1, job.Size));
                        var result = await transfer(job, p =>
                        {
                            if (p.Total > 0 && Math.Abs(task.MaxValue - p.Total) > 0.5) task.MaxValue = p.Total;
                            task.Value = p.Done;
                        }).ConfigureAwait(false);
                        task.Value = task.MaxValue;
                        task.StopTask();
                        moved += result.BytesMoved;
                    }
                }).ConfigureAwait(false);
        }
        else
        {
            foreach (var job in jobs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = await transfer(job, null).ConfigureAwait(false);
                moved += result.BytesMoved;
                if (quiet) continue;
                var note = result.ResumedFrom > 0 ? $", resumed at {ByteSizes.Format(result.ResumedFrom)}"
                    : result.Restarted ? ", partial copy did not match: sent whole" : "";
                cli.Out.WriteLine($"{verb} {job.Label}  {ByteSizes.Format(result.Size)}  {ByteSizes.Seconds(result.Elapsed)}  {ByteSizes.Rate(result.BytesMoved, result.Elapsed)}{note}");
            }
        }
        if (!quiet)
        {
            var elapsed = clock.Elapsed;
            cli.Out.WriteLine($"{jobs.Count} file{(jobs.Count == 1 ? "" : "s")}, {ByteSizes.Format(moved)} in {ByteSizes.Seconds(elapsed)} ({ByteSizes.Rate(moved, elapsed)})");
        }
    }
}

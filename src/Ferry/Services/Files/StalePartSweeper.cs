using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Ferry.Contracts.Files;

namespace Ferry.Services.Files;

/// <summary>
/// Deletes upload <c>.part</c> files nobody came back to resume: at start-up, then every hour, each one whose last
/// write is older than <see cref="FilesOptions.PartLifetime"/> and that no connection is writing. Without it a server
/// that sees many cut-off uploads fills its disk with halves of files. Only names the file service itself makes
/// (<c>NAME.KEY.part</c>) are touched, never links, and never anything outside the root.
/// </summary>
internal sealed partial class StalePartSweeper(FilesService files, TimeSpan lifetime, ILogger logger) : BackgroundService
{
    /// <summary>How often the root is swept after the first pass at start-up.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>
    /// Deletes upload <c>.part</c> files under <paramref name="root"/> last written before <paramref name="cutoffUtc"/>
    /// that no upload holds (each is claimed in <paramref name="claims"/> while it is checked, so an upload starting at
    /// that moment gets <c>busy</c>, not a file pulled from under it). Links are neither followed nor removed.
    /// Returns how many files and bytes went.
    /// </summary>
    public static (int Count, long Bytes) Sweep(string root, PartClaims claims, DateTime cutoffUtc, CancellationToken cancellationToken = default)
    {
        using var fileRoot = FileRoot.Open(new FileSandbox(root));
        return fileRoot.SweepParts(claims, cutoffUtc, cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the start-up path: a large root takes a while to walk, and serving must not wait for it.
        await Task.Yield();
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var removed = files.SweepStaleParts(DateTime.UtcNow - lifetime, stoppingToken);
                if (removed.Count > 0) Swept(logger, removed.Count, removed.Bytes, lifetime.TotalDays);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                SweepFailed(logger, Protocol.LogText.Escape(ex.Message)); // the message names files that uploads named
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "removed {Count} stale .part file(s), {Bytes} bytes, untouched for over {Days} day(s)")]
    private static partial void Swept(ILogger logger, int count, long bytes, double days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "sweeping stale .part files failed: {Reason}")]
    private static partial void SweepFailed(ILogger logger, string reason);
}

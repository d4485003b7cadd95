using Microsoft.Extensions.Hosting;
using Ferry.Contracts.Exec;

namespace Ferry.Services.Exec;

/// <summary>
/// While exec is on, the server is a child subreaper: whatever a command started in a session of its own
/// (<c>setsid sh -c 'sleep 1' &amp;</c>) becomes the server's child when its parent exits, and its zombie when it ends.
/// This reaps those every <see cref="Interval"/> (<see cref="UnixProcesses.ReapOrphans"/>), so none accumulate.
/// </summary>
internal sealed class OrphanReaper(TimeSpan? interval = null) : BackgroundService
{
    /// <summary>How often inherited zombies are looked for.</summary>
    public TimeSpan Interval { get; } = interval ?? TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false)) UnixProcesses.ReapOrphans();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server is stopping.
        }
    }
}

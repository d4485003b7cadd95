using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Services.Exec;

/// <summary>
/// Says once, at start-up, which process limit commands run under (so an operator knows whether a fork bomb is
/// contained), and removes the server's cgroup folder when it stops.
/// </summary>
internal sealed class ExecProcessLimitService(ExecProcessLimit limit, ILogger logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ExecLog.ProcessLimit(logger, limit.Description);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        limit.Close();
        return Task.CompletedTask;
    }
}

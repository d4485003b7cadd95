using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Server;

/// <summary>
/// Runs one hosted component (a UDP listener, a sweeper) so that its failure stays its own: when a
/// <see cref="BackgroundService"/>'s run faults, the fault is logged and the service is started again after a
/// back-off (doubling from <see cref="FerryServerOptions.ServiceRestartDelay"/> up to
/// <see cref="FerryServerOptions.ServiceRestartMaxDelay"/>, and back to the first delay after a run that lasted longer
/// than the longest delay). The host never sees the fault, so TCP and every other component keep serving.
/// </summary>
internal sealed class SupervisedService : IHostedService, IDisposable
{
    private readonly IHostedService _inner;
    private readonly ILogger _logger;
    private readonly FerryServerOptions _options;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private Task _watch = Task.CompletedTask;

    public SupervisedService(IHostedService inner, ILogger logger, FerryServerOptions options, TimeProvider? time = null)
    {
        _inner = inner;
        _logger = logger;
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The supervised component.</summary>
    public IHostedService Inner => _inner;

    /// <summary>How many times the component was restarted after a fault.</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    private int _restarts;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _inner.StartAsync(cancellationToken).ConfigureAwait(false);
        if (_inner is BackgroundService background) _watch = WatchAsync(background, _stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _inner.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WatchAsync(BackgroundService service, CancellationToken stopping)
    {
        var name = service.GetType().Name;
        int failures = 0;
        while (service.ExecuteTask is { } run)
        {
            var started = _time.GetUtcNow();
            try
            {
                await run.WaitAsync(stopping).ConfigureAwait(false);
                return; // ended by itself without a fault: nothing to restart
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return; // the host is stopping; StopAsync stops the service
            }
            catch (Exception ex) when (run.IsFaulted || run.IsCanceled)
            {
                if (run.IsCanceled) return;
                var ranFor = _time.GetUtcNow() - started;
                failures = ranFor > _options.ServiceRestartMaxDelay ? 1 : failures + 1;
                var delay = Backoff(failures);
                ServerLog.BackgroundServiceFailed(_logger, ex, name, (long)delay.TotalMilliseconds, failures);
                try
                {
                    await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
                    // The old run is over; StartAsync runs ExecuteAsync again on the same instance and its resources.
                    await service.StartAsync(stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
                Interlocked.Increment(ref _restarts);
            }
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var first = _options.ServiceRestartDelay;
        var max = _options.ServiceRestartMaxDelay;
        double factor = Math.Pow(2, Math.Min(failures - 1, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(first.Ticks * factor, max.Ticks));
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    public void Dispose()
    {
        _stopping.Dispose();
        (_inner as IDisposable)?.Dispose();
    }
}

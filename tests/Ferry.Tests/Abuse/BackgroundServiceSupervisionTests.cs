using Ferry.Client;
using Ferry.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Tests.Abuse;

/// <summary>
/// Issue 14 item 8: a fault in a background component (UDP chat, SNTP, UDP echo, the sweeper) stopped the host,
/// TCP included. Now it is logged and that component alone restarts, with back-off.
/// </summary>
public sealed class BackgroundServiceSupervisionTests
{
    [Fact]
    public async Task AFaultingBackgroundServiceIsLoggedAndRestartedWhileTcpKeepsServing()
    {
        var log = new CapturingLoggerProvider();
        var flaky = new FlakyService(faults: 2);
        await using var server = await TestServer.StartAsync(
            o =>
            {
                o.Server.ServiceRestartDelay = TimeSpan.FromMilliseconds(50);
                o.Server.ServiceRestartMaxDelay = TimeSpan.FromSeconds(1);
            },
            b =>
            {
                b.AddHostedService(_ => flaky);
                b.ConfigureLogging(l => l.AddProvider(log).SetMinimumLevel(LogLevel.Debug));
            });

        await flaky.Healthy.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(3, flaky.Runs);
        var failures = log.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("Background service FlakyService failed")).ToList();
        Assert.Equal(2, failures.Count);
        Assert.Contains("restarts in 50 ms (failure 1 in a row)", failures[0]);
        Assert.Contains("restarts in 100 ms (failure 2 in a row)", failures[1]);

        var client = await server.ConnectAsync();
        Assert.Equal("up"u8.ToArray(), await client.EchoAsync("up"u8.ToArray()));
    }

    private sealed class FlakyService(int faults) : BackgroundService
    {
        private int _runs;

        public int Runs => Volatile.Read(ref _runs);

        public TaskCompletionSource Healthy { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            int run = Interlocked.Increment(ref _runs);
            await Task.Yield();
            if (run <= faults) throw new InvalidOperationException($"fault {run}");
            Healthy.TrySetResult();
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}

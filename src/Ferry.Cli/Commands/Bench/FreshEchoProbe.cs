using System.Diagnostics;
using Ferry.Client;

namespace Ferry.Cli.Commands.Bench;

/// <summary>
/// What a new user feels while the server is loaded: a fresh connection (connect + hello), one small echo,
/// close — repeated every few milliseconds. Records the whole exchange and the echo alone.
/// </summary>
internal sealed class FreshEchoProbe(FerryClientOptions options, TimeSpan every)
{
    private static readonly byte[] s_message = "fresh echo probe"u8.ToArray();

    public LatencyRecorder Total { get; } = new();

    public LatencyRecorder EchoOnly { get; } = new();

    public int Errors { get; private set; }

    /// <summary>The first exchanges pay for JIT compilation, not the server's load; they are not recorded.</summary>
    public int WarmupRounds { get; init; } = 10;

    public async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(every);
        int rounds = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    await using var client = await FerryClient.ConnectAsync(options, ct).ConfigureAwait(false);
                    long echoStart = Stopwatch.GetTimestamp();
                    var reply = await client.EchoAsync(s_message, cancellationToken: ct).ConfigureAwait(false);
                    long end = Stopwatch.GetTimestamp();
                    if (reply.Length != s_message.Length)
                    {
                        Errors++;
                        continue;
                    }
                    if (++rounds <= WarmupRounds) continue;
                    Total.Record(end - start);
                    EchoOnly.Record(end - echoStart);
                }
                catch (Exception) when (!ct.IsCancellationRequested)
                {
                    Errors++;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Measurement over.
        }
    }
}

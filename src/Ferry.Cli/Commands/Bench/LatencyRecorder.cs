using System.Diagnostics;

namespace Ferry.Cli.Commands.Bench;

/// <summary>
/// Collects latencies (Stopwatch ticks) from one worker without locking; workers' recorders are merged
/// at the end to compute percentiles over every sample.
/// </summary>
internal sealed class LatencyRecorder
{
    private long[] _samples = new long[4096];

    public int Count { get; private set; }

    public void Record(long ticks)
    {
        if (Count == _samples.Length) Array.Resize(ref _samples, _samples.Length * 2);
        _samples[Count++] = ticks;
    }

    /// <summary>Merges recorders and returns percentiles in microseconds.</summary>
    public static LatencySummary Summarize(IEnumerable<LatencyRecorder> recorders)
    {
        var all = recorders.SelectMany(r => r._samples.Take(r.Count)).ToArray();
        if (all.Length == 0) return new LatencySummary(0, 0, 0, 0, 0, 0);
        Array.Sort(all);
        double Micros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
        double At(double p) => Micros(all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)]);
        return new LatencySummary(all.Length, Micros(all[0]), At(0.50), At(0.99), At(0.999), Micros(all[^1]));
    }
}

/// <summary>Latency percentiles in microseconds.</summary>
internal sealed record LatencySummary(long Samples, double MinMicros, double P50Micros, double P99Micros, double P999Micros, double MaxMicros);

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Ferry.Connections;

namespace Ferry.Server;

/// <summary>
/// A server's running totals: connections, requests per type, bytes, plus named counters that services bump
/// (exec processes running, transfers in progress). Answered by the <c>stats</c> request and published as
/// System.Diagnostics.Metrics instruments on the <see cref="MeterName"/> meter, so
/// <c>dotnet-counters monitor --counters Ferry.Server -p PID</c> can watch a running server.
/// </summary>
public sealed class ServerStats : IDisposable
{
    /// <summary>The meter every instrument is published on.</summary>
    public const string MeterName = "Ferry.Server";

    // Counter names are camelCase like every other key of the stats response (docs/protocol.md §5.8); the metric
    // instruments keep OpenTelemetry's snake_case (ferry.exec.processes_running), see MetricName.

    /// <summary>Counter name: child processes the exec service is running.</summary>
    public const string ExecProcessesRunning = "exec.processesRunning";

    /// <summary>Counter name: file transfers (uploads open and downloads streaming) in progress.</summary>
    public const string TransfersInProgress = "files.transfersInProgress";

    // Requests are counted on the routes themselves (only mapped types, so a hostile peer cannot grow the table,
    // and the dispatch's one lookup serves both).
    private ServiceRegistry? _routes;
    private readonly ConcurrentDictionary<string, StatsCounter> _counters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<FrameConnection, byte> _live = new();
    private readonly Meter _meter;
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _current, _total, _refused, _closedBytesIn, _closedBytesOut;

    /// <summary>Empty totals, with the clock for uptime started now.</summary>
    public ServerStats()
    {
        _meter = new Meter(MeterName, typeof(ServerStats).Assembly.GetName().Version?.ToString(3));
        _meter.CreateObservableUpDownCounter("ferry.connections.current", () => Volatile.Read(ref _current), "{connection}", "Open connections");
        _meter.CreateObservableCounter("ferry.connections.total", () => Volatile.Read(ref _total), "{connection}", "Connections accepted since start");
        _meter.CreateObservableCounter("ferry.connections.refused", () => Volatile.Read(ref _refused), "{connection}", "Connections that closed before finishing the handshake");
        _meter.CreateObservableCounter("ferry.requests", ObserveRequests, "{request}", "Requests dispatched, by message type");
        _meter.CreateObservableCounter("ferry.bytes.received", () => BytesIn, "By", "Frame bytes received");
        _meter.CreateObservableCounter("ferry.bytes.sent", () => BytesOut, "By", "Frame bytes sent");
        _meter.CreateObservableGauge("ferry.process.working_set", () => Environment.WorkingSet, "By", "Resident memory of the server process");
        _meter.CreateObservableGauge("ferry.gc.heap_size", () => GC.GetGCMemoryInfo().HeapSizeBytes, "By", "Managed heap size after the last GC");
        _meter.CreateObservableCounter("ferry.uptime", () => Uptime.TotalSeconds, "s", "Seconds since the server started");
        Counter(ExecProcessesRunning, "Child processes the exec service is running");
        Counter(TransfersInProgress, "File transfers in progress");
    }

    /// <summary>Connections open now.</summary>
    public long ConnectionsCurrent => Volatile.Read(ref _current);

    /// <summary>Connections accepted since the server started.</summary>
    public long ConnectionsTotal => Volatile.Read(ref _total);

    /// <summary>Connections that ended before the handshake finished (bad hello, failed authentication, timeout).</summary>
    public long ConnectionsRefused => Volatile.Read(ref _refused);

    /// <summary>Frame bytes received, over open and closed connections.</summary>
    public long BytesIn
    {
        get
        {
            long sum = Volatile.Read(ref _closedBytesIn);
            foreach (var connection in _live.Keys) sum += connection.BytesIn;
            return sum;
        }
    }

    /// <summary>Frame bytes sent, over open and closed connections.</summary>
    public long BytesOut
    {
        get
        {
            long sum = Volatile.Read(ref _closedBytesOut);
            foreach (var connection in _live.Keys) sum += connection.BytesOut;
            return sum;
        }
    }

    /// <summary>How long since the totals were created (the server's start).</summary>
    public TimeSpan Uptime => Stopwatch.GetElapsedTime(_started);

    /// <summary>
    /// The counter called <paramref name="name"/>, created (and published as <c>ferry.NAME</c>) on first use.
    /// Services keep the returned object and call <see cref="StatsCounter.Increment"/> / <see cref="StatsCounter.Decrement"/>.
    /// </summary>
    public StatsCounter Counter(string name, string? description = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return _counters.GetOrAdd(name, static (key, state) =>
        {
            var (meter, description) = state;
            var counter = new StatsCounter();
            meter.CreateObservableUpDownCounter(MetricName(key), () => counter.Value, null, description);
            return counter;
        }, (_meter, description));
    }

    /// <summary>The instrument name of counter <paramref name="key"/>: <c>ferry.</c> and the key in snake_case.</summary>
    internal static string MetricName(string key)
    {
        var name = new System.Text.StringBuilder("ferry.", key.Length + 12);
        foreach (char c in key)
        {
            if (char.IsAsciiLetterUpper(c)) name.Append('_').Append(char.ToLowerInvariant(c));
            else name.Append(c);
        }
        return name.ToString();
    }

    /// <summary>Requests dispatched so far, by message type.</summary>
    public IReadOnlyDictionary<string, long> Requests =>
        (_routes?.RequestCounts ?? []).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>Every named counter's current value.</summary>
    public IReadOnlyDictionary<string, long> Counters => _counters.ToDictionary(p => p.Key, p => p.Value.Value, StringComparer.Ordinal);

    internal void ConnectionOpened(FrameConnection connection)
    {
        Interlocked.Increment(ref _current);
        Interlocked.Increment(ref _total);
        _live.TryAdd(connection, 0);
    }

    internal void ConnectionClosed(FrameConnection connection, bool refused)
    {
        if (!_live.TryRemove(connection, out _)) return;
        Interlocked.Decrement(ref _current);
        if (refused) Interlocked.Increment(ref _refused);
        Interlocked.Add(ref _closedBytesIn, connection.BytesIn);
        Interlocked.Add(ref _closedBytesOut, connection.BytesOut);
    }

    /// <summary>Reports the request counts kept on <paramref name="routes"/>.</summary>
    internal void Observe(ServiceRegistry routes) => _routes = routes;

    private IEnumerable<Measurement<long>> ObserveRequests()
    {
        foreach (var (type, count) in _routes?.RequestCounts ?? [])
        {
            yield return new Measurement<long>(count, new KeyValuePair<string, object?>("type", type));
        }
    }

    /// <summary>The meter the instruments live on (each server has its own, all named <see cref="MeterName"/>).</summary>
    internal Meter Meter => _meter;

    /// <summary>Disposes the meter the totals are published on.</summary>
    public void Dispose() => _meter.Dispose();
}

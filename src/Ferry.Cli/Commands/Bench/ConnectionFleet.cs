using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Ferry.Client;

namespace Ferry.Cli.Commands.Bench;

/// <summary>
/// Many idle connections held by one process: opened with bounded parallelism (each a full connect + hello),
/// kept alive with a small echo every few seconds, closed together.
/// </summary>
internal sealed class ConnectionFleet(FerryClientOptions options) : IAsyncDisposable
{
    private static readonly byte[] s_keepalive = "keepaliv"u8.ToArray();

    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly List<long> _handshakeTicks = [];
    private FerryClient?[] _clients = [];
    private long _keepaliveOk, _keepaliveFailed;
    private volatile bool _outOfFiles;

    public int Established => _clients.Count(c => c is not null);

    public int Failed => _failures.Values.Sum();

    /// <summary>Why connections failed, with how many failed that way.</summary>
    public IReadOnlyDictionary<string, int> Failures => _failures;

    /// <summary>Set when the open-file limit stopped further connections.</summary>
    public bool StoppedByFileLimit { get; private set; }

    public long KeepaliveOk => Interlocked.Read(ref _keepaliveOk);

    public long KeepaliveFailed => Interlocked.Read(ref _keepaliveFailed);

    /// <summary>Handshake (connect + hello) times in Stopwatch ticks.</summary>
    public IReadOnlyList<long> HandshakeTicks => _handshakeTicks;

    /// <summary>
    /// Opens <paramref name="count"/> connections, <paramref name="parallel"/> at a time; reports progress. When the
    /// open-file limit has no room for them all (<paramref name="room"/>), opens what fits and records the rest as
    /// stopped by the limit, rather than running the process out of descriptors (it needs some to load code).
    /// </summary>
    public async Task ConnectAsync(int count, int parallel, int? room, Action<int>? progress, CancellationToken ct)
    {
        if (room is { } fits && fits < count)
        {
            StoppedByFileLimit = true;
            _failures[$"not attempted: the open-file limit leaves room for {Math.Max(0, fits)}"] = count - Math.Max(0, fits);
            count = Math.Max(0, fits);
        }
        _clients = new FerryClient?[count];
        if (count == 0) return;
        int next = -1, done = 0;
        var workers = Enumerable.Range(0, Math.Clamp(parallel, 1, count)).Select(_ => Task.Run(async () =>
        {
            var local = new List<long>();
            int i;
            while (!_outOfFiles && (i = Interlocked.Increment(ref next)) < count && !ct.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    _clients[i] = await FerryClient.ConnectAsync(options, ct).ConfigureAwait(false);
                    local.Add(Stopwatch.GetTimestamp() - start);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    if (IsFileLimit(ex)) _outOfFiles = StoppedByFileLimit = true;
                    _failures.AddOrUpdate(Describe(ex), 1, (_, n) => n + 1);
                }
                progress?.Invoke(Interlocked.Increment(ref done));
            }
            lock (_handshakeTicks) _handshakeTicks.AddRange(local);
        }, ct)).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends each connection a small echo every <paramref name="interval"/>, spread evenly over the interval,
    /// until <paramref name="ct"/> fires.
    /// </summary>
    public async Task KeepAliveAsync(TimeSpan interval, CancellationToken ct)
    {
        var live = _clients.Where(c => c is not null).Cast<FerryClient>().ToArray();
        if (live.Length == 0) return;
        // Spread evenly in 10 ms steps: bursts of thousands of echoes would queue the very latency being measured.
        int slotsPerInterval = (int)Math.Clamp(interval.TotalMilliseconds / 10, 1, 1000);
        var tick = interval / slotsPerInterval;
        using var timer = new PeriodicTimer(tick);
        int slot = 0;
        var pending = new List<Task>();
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                int from = (int)((long)live.Length * slot / slotsPerInterval);
                int to = (int)((long)live.Length * (slot + 1) / slotsPerInterval);
                slot = (slot + 1) % slotsPerInterval;
                pending.RemoveAll(t => t.IsCompleted);
                for (int i = from; i < to; i++) pending.Add(PingAsync(live[i], ct));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The hold is over.
        }
        await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task PingAsync(FerryClient client, CancellationToken ct)
    {
        try
        {
            var reply = await client.EchoAsync(s_keepalive, cancellationToken: ct).ConfigureAwait(false);
            if (reply.Length == s_keepalive.Length) Interlocked.Increment(ref _keepaliveOk);
            else Interlocked.Increment(ref _keepaliveFailed);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped mid-ping: not a failure.
        }
        catch (Exception)
        {
            Interlocked.Increment(ref _keepaliveFailed);
        }
    }

    private static bool IsFileLimit(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.TooManyOpenSockets }) return true;
            if (e.Message.Contains("Too many open files", StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    private static string Describe(Exception ex) =>
        IsFileLimit(ex) ? "too many open files (the process's open-file limit)" : ex.Message;

    public async ValueTask DisposeAsync()
    {
        var clients = _clients;
        _clients = [];
        // Close 64 at a time: thousands of sequential closes would take a while.
        int next = -1;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < clients.Length)
            {
                if (clients[i] is { } client) await client.DisposeAsync().ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
    }
}

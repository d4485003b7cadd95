namespace Ferry.Services.Exec;

/// <summary>
/// The commands running on one connection, by request id: a session feature, so when the connection ends every
/// process tree still running is killed, even if its request's background work has not noticed yet.
/// </summary>
internal sealed class ExecTable : IAsyncDisposable
{
    private readonly Dictionary<long, ExecProcess?> _running = [];
    private bool _disposed;

    /// <summary>Claims a slot for request <paramref name="id"/>; false when the connection already runs <paramref name="max"/>.</summary>
    public bool TryReserve(long id, int max, out bool duplicate)
    {
        lock (_running)
        {
            duplicate = _running.ContainsKey(id);
            if (duplicate || _disposed || _running.Count >= max) return false;
            _running.Add(id, null);
            return true;
        }
    }

    public void Attach(long id, ExecProcess process)
    {
        lock (_running) _running[id] = process;
    }

    public void Release(long id)
    {
        lock (_running) _running.Remove(id);
    }

    public ExecProcess? Find(long id)
    {
        lock (_running) return _running.GetValueOrDefault(id);
    }

    public async ValueTask DisposeAsync()
    {
        ExecProcess[] left;
        lock (_running)
        {
            _disposed = true;
            left = [.. _running.Values.OfType<ExecProcess>()];
        }
        await Task.WhenAll(left.Select(p => p.KillAsync())).ConfigureAwait(false);
    }
}

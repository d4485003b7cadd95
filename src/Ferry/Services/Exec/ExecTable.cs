using Ferry.Contracts.Exec;
namespace Ferry.Services.Exec;

/// <summary>
/// The commands running on one connection, by request id: a session feature, so when the connection ends every
/// process tree still running is killed, even if its request's background work has not noticed yet.
/// </summary>
internal sealed class ExecTable : IAsyncDisposable
{
    private readonly Dictionary<long, IRunningCommand?> _running = [];
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

    public void Attach(long id, IRunningCommand process)
    {
        lock (_running) _running[id] = process;
    }

    /// <summary>
    /// Frees <paramref name="id"/> if it still holds <paramref name="owner"/> (null: reserved, not yet started): the
    /// id is freed before <c>exec.exit</c> goes out, and by the time the work's cleanup runs a new command may hold it.
    /// </summary>
    public void Release(long id, IRunningCommand? owner)
    {
        lock (_running)
        {
            if (_running.TryGetValue(id, out var current) && ReferenceEquals(current, owner)) _running.Remove(id);
        }
    }

    public IRunningCommand? Find(long id)
    {
        lock (_running) return _running.GetValueOrDefault(id);
    }

    public async ValueTask DisposeAsync()
    {
        IRunningCommand[] left;
        lock (_running)
        {
            _disposed = true;
            left = [.. _running.Values.OfType<IRunningCommand>()];
        }
        await Task.WhenAll(left.Select(p => p.KillAsync())).ConfigureAwait(false);
    }
}

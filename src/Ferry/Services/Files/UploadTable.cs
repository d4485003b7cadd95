using Ferry.Server;
using Ferry.Contracts.Files;

namespace Ferry.Services.Files;

/// <summary>
/// The uploads open on one connection, by request id. When the connection ends, every open <c>.part</c> is
/// closed and left in place, so the same upload can resume later.
/// </summary>
internal sealed class UploadTable(StatsCounter transfers) : IAsyncDisposable
{
    private readonly Dictionary<long, Upload> _uploads = [];

    /// <summary>The key to each connection's table; open uploads count as transfers in progress.</summary>
    public static ConnectionState<UploadTable> Key { get; } =
        new(static context => new UploadTable(context.Session.Stats.Counter(ServerStats.TransfersInProgress)));

    public int Count
    {
        get
        {
            lock (_uploads) return _uploads.Count;
        }
    }

    public bool TryAdd(long id, Upload upload)
    {
        lock (_uploads)
        {
            if (!_uploads.TryAdd(id, upload)) return false;
            transfers.Increment();
            return true;
        }
    }

    public Upload? Get(long id)
    {
        lock (_uploads) return _uploads.GetValueOrDefault(id);
    }

    public Upload? Remove(long id)
    {
        lock (_uploads)
        {
            if (!_uploads.Remove(id, out var upload)) return null;
            transfers.Decrement();
            return upload;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Upload[] open;
        lock (_uploads)
        {
            open = [.. _uploads.Values];
            _uploads.Clear();
            transfers.Add(-open.Length);
        }
        foreach (var upload in open) await upload.DisposeAsync().ConfigureAwait(false);
    }
}

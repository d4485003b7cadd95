using Ferry.Server;

namespace Ferry.Services.Files;

/// <summary>
/// The uploads open on one connection, by request id. When the connection ends, every open <c>.part</c> is
/// closed and left in place, so the same upload can resume later.
/// </summary>
internal sealed class UploadTable : IExchangeTable, IAsyncDisposable
{
    private readonly Dictionary<long, Upload> _uploads = [];

    public int Count
    {
        get
        {
            lock (_uploads) return _uploads.Count;
        }
    }

    public bool TryAdd(long id, Upload upload)
    {
        lock (_uploads) return _uploads.TryAdd(id, upload);
    }

    public Upload? Get(long id)
    {
        lock (_uploads) return _uploads.GetValueOrDefault(id);
    }

    public Upload? Remove(long id)
    {
        lock (_uploads) return _uploads.Remove(id, out var upload) ? upload : null;
    }

    public bool Contains(long id)
    {
        lock (_uploads) return _uploads.ContainsKey(id);
    }

    public async ValueTask DisposeAsync()
    {
        Upload[] open;
        lock (_uploads)
        {
            open = [.. _uploads.Values];
            _uploads.Clear();
        }
        foreach (var upload in open) await upload.DisposeAsync().ConfigureAwait(false);
    }
}

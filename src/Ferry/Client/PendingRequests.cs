namespace Ferry.Client;

/// <summary>Request id → the sink awaiting its frames. On disconnect every sink is failed at once.</summary>
internal sealed class PendingRequests
{
    private readonly Dictionary<long, IResponseSink> _sinks = [];
    private Exception? _failure;

    public void Add(long id, IResponseSink sink)
    {
        lock (_sinks)
        {
            if (_failure is not null) throw _failure;
            _sinks.Add(id, sink);
        }
    }

    public bool TryGet(long id, out IResponseSink? sink)
    {
        lock (_sinks) return _sinks.TryGetValue(id, out sink);
    }

    public void Remove(long id)
    {
        lock (_sinks) _sinks.Remove(id);
    }

    public int Count
    {
        get
        {
            lock (_sinks) return _sinks.Count;
        }
    }

    public void FailAll(Exception failure)
    {
        IResponseSink[] sinks;
        lock (_sinks)
        {
            _failure ??= failure;
            sinks = [.. _sinks.Values];
            _sinks.Clear();
        }
        foreach (var sink in sinks) sink.Fail(failure);
    }
}

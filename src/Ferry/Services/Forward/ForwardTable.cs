using System.Net.Sockets;
using Ferry.Transfers;

namespace Ferry.Services.Forward;

/// <summary>One stream the server carries: its channel, and what to call it in messages and logs.</summary>
internal sealed class ForwardStream(TunnelChannel channel, string destination)
{
    public TunnelChannel Channel { get; } = channel;

    public string Destination { get; } = destination;
}

/// <summary>
/// The streams and remote listeners open on one connection, by request id: a session feature, so when the connection
/// ends every destination socket and listener is closed, even if its background work has not noticed yet.
/// </summary>
internal sealed class ForwardTable : IDisposable
{
    private readonly Dictionary<long, ForwardStream> _streams = [];
    private readonly Dictionary<long, RemoteListener> _listeners = [];
    private bool _disposed;

    public int StreamCount
    {
        get
        {
            lock (_streams) return _streams.Count;
        }
    }

    public bool TryAdd(long id, ForwardStream stream, int max)
    {
        lock (_streams)
        {
            if (_disposed || _streams.Count >= max) return false;
            return _streams.TryAdd(id, stream);
        }
    }

    public ForwardStream? FindStream(long id)
    {
        lock (_streams) return _streams.GetValueOrDefault(id);
    }

    public void Remove(long id, ForwardStream stream)
    {
        lock (_streams)
        {
            if (_streams.TryGetValue(id, out var current) && ReferenceEquals(current, stream)) _streams.Remove(id);
        }
    }

    public bool TryAdd(long id, RemoteListener listener, int max)
    {
        lock (_streams)
        {
            if (_disposed || _listeners.Count >= max) return false;
            return _listeners.TryAdd(id, listener);
        }
    }

    public RemoteListener? FindListener(long id)
    {
        lock (_streams) return _listeners.GetValueOrDefault(id);
    }

    public void Remove(long id, RemoteListener listener)
    {
        lock (_streams)
        {
            if (_listeners.TryGetValue(id, out var current) && ReferenceEquals(current, listener)) _listeners.Remove(id);
        }
    }

    public void Dispose()
    {
        ForwardStream[] streams;
        RemoteListener[] listeners;
        lock (_streams)
        {
            _disposed = true;
            streams = [.. _streams.Values];
            listeners = [.. _listeners.Values];
        }
        foreach (var stream in streams) stream.Channel.Abort(new OperationCanceledException("the connection closed"));
        foreach (var listener in listeners) listener.Stop();
    }
}

/// <summary>
/// A server-side listener for <c>forward.listen</c>: the connections it accepted wait here, by number, until the client
/// takes one with <c>forward.accept</c>, declines it, or the accept timeout closes it.
/// </summary>
internal sealed class RemoteListener(Socket socket, string address) : IDisposable
{
    private readonly Dictionary<long, Socket> _pending = [];
    private long _next;
    private bool _stopped;

    public Socket Socket { get; } = socket;

    public bool IsStopped
    {
        get
        {
            lock (_pending) return _stopped;
        }
    }

    /// <summary>Where it listens, <c>ip:port</c>.</summary>
    public string Address { get; } = address;

    /// <summary>Holds <paramref name="accepted"/> under a new number; 0 when the listener already holds <paramref name="max"/>.</summary>
    public long TryHold(Socket accepted, int max)
    {
        lock (_pending)
        {
            if (_stopped || _pending.Count >= max) return 0;
            long conn = ++_next;
            _pending.Add(conn, accepted);
            return conn;
        }
    }

    /// <summary>Takes connection <paramref name="conn"/> out (to accept or close it); null when it is not waiting.</summary>
    public Socket? Take(long conn)
    {
        lock (_pending)
        {
            return _pending.Remove(conn, out var accepted) ? accepted : null;
        }
    }

    /// <summary>Stops accepting and closes every connection still waiting.</summary>
    public void Stop()
    {
        Socket[] left;
        lock (_pending)
        {
            _stopped = true;
            left = [.. _pending.Values];
            _pending.Clear();
        }
        Socket.Dispose();
        foreach (var accepted in left) accepted.Dispose();
    }

    public void Dispose() => Stop();
}

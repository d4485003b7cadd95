namespace Ferry.Server;

/// <summary>
/// What every copy of one exchange's <see cref="RequestContext"/> shares: its id, whether it has ended, its background
/// work. The session reuses an instance once its exchange ended inside its handler; <see cref="Generation"/> tells the
/// copies of an earlier exchange that it is over, so a stale context can never act on the id's next exchange.
/// </summary>
internal sealed class ExchangeState(ServerSession session)
{
    private int _ended;

    public ServerSession Session { get; } = session;

    public long Id { get; private set; }

    /// <summary>Bumped on every reuse; a context holds the value it was made with.</summary>
    public int Generation { get; private set; }

    /// <summary>Whether the session's open-exchange table holds this exchange (so its id is in use).</summary>
    public bool Registered { get; set; }

    /// <summary>The background work's token source, once <see cref="RequestContext.StartBackground"/> ran.</summary>
    public CancellationTokenSource? Background { get; set; }

    /// <summary>The routes (one per service) whose handler opened the exchange: only their continuations join it.</summary>
    public object? Owner { get; set; }

    public bool IsEnded => Volatile.Read(ref _ended) != 0;

    public void Reset(long id)
    {
        Generation++;
        Id = id;
        Registered = false;
        Background = null;
        Volatile.Write(ref _ended, 0);
    }

    /// <summary>Ends the exchange (freeing its id) once; false when it had already ended.</summary>
    public bool TryEnd()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return false;
        if (Registered) Session.Release(this);
        return true;
    }
}

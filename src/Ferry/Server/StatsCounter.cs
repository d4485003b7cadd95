namespace Ferry.Server;

/// <summary>A named server counter that services move up and down (thread-safe).</summary>
public sealed class StatsCounter
{
    private long _value;

    public long Value => Volatile.Read(ref _value);

    public void Increment() => Interlocked.Increment(ref _value);

    public void Decrement() => Interlocked.Decrement(ref _value);

    public void Add(long delta) => Interlocked.Add(ref _value, delta);
}

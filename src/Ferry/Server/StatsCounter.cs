namespace Ferry.Server;

/// <summary>A named server counter that services move up and down (thread-safe).</summary>
public sealed class StatsCounter
{
    private long _value;

    /// <summary>The current value.</summary>
    public long Value => Volatile.Read(ref _value);

    /// <summary>Adds one.</summary>
    public void Increment() => Interlocked.Increment(ref _value);

    /// <summary>Subtracts one.</summary>
    public void Decrement() => Interlocked.Decrement(ref _value);

    /// <summary>Adds <paramref name="delta"/> (negative to subtract).</summary>
    public void Add(long delta) => Interlocked.Add(ref _value, delta);
}

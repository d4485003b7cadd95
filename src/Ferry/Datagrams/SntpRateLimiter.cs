using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Ferry.Datagrams;

/// <summary>
/// A token bucket per source address (ports ignored): <c>rate</c> requests per second with a burst of as many.
/// Single-threaded (the server's receive loop owns it). The table is bounded: when full, buckets that have
/// refilled carry no state and are dropped; under a flood from more addresses than that, it starts afresh.
/// </summary>
internal sealed class SntpRateLimiter
{
    private const int MaxSources = 65536;
    private readonly Dictionary<UInt128, Bucket> _buckets = [];
    private readonly double _rate;
    private readonly double _burst;
    private readonly long _frequency;

    public SntpRateLimiter(double ratePerSecond, long ticksPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        _rate = ratePerSecond;
        _burst = Math.Max(1, ratePerSecond);
        _frequency = ticksPerSecond;
    }

    public int Sources => _buckets.Count;

    /// <summary>Takes a token for the sender; false when it is over its rate.</summary>
    public bool TryAcquire(SocketAddress source, long nowTicks)
    {
        var key = KeyOf(source);
        ref var bucket = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_buckets, key);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref bucket))
        {
            if (_buckets.Count >= MaxSources) Sweep(nowTicks);
            _buckets[key] = new Bucket(_burst - 1, nowTicks);
            return true;
        }
        double tokens = Math.Min(_burst, bucket.Tokens + (nowTicks - bucket.LastTicks) * _rate / _frequency);
        bucket.LastTicks = nowTicks;
        if (tokens < 1)
        {
            bucket.Tokens = tokens;
            return false;
        }
        bucket.Tokens = tokens - 1;
        return true;
    }

    private void Sweep(long nowTicks)
    {
        foreach (var (key, bucket) in _buckets)
        {
            if (bucket.Tokens + (nowTicks - bucket.LastTicks) * _rate / _frequency >= _burst) _buckets.Remove(key);
        }
        if (_buckets.Count >= MaxSources) _buckets.Clear();
    }

    /// <summary>The address bytes of a sockaddr_in / sockaddr_in6, without the port.</summary>
    private static UInt128 KeyOf(SocketAddress address)
    {
        var bytes = address.Buffer.Span[..address.Size];
        if (address.Family == AddressFamily.InterNetwork) return BinaryPrimitives.ReadUInt32BigEndian(bytes[4..8]);
        if (address.Family == AddressFamily.InterNetworkV6 && bytes.Length >= 24)
        {
            var v6 = BinaryPrimitives.ReadUInt128BigEndian(bytes[8..24]);
            // An IPv4-mapped address (::ffff:a.b.c.d) is the same sender as a.b.c.d.
            return (v6 >> 32) == 0xFFFF ? (uint)v6 : v6 | ((UInt128)1 << 127);
        }
        return (UInt128)address.GetHashCode();
    }

    private struct Bucket(double tokens, long lastTicks)
    {
        public double Tokens = tokens;
        public long LastTicks = lastTicks;
    }
}

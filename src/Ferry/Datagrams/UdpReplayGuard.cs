namespace Ferry.Datagrams;

/// <summary>
/// Refuses datagrams whose timestamp is outside the window or whose nonce was already seen inside it.
/// Remembered nonces expire with the window, and their number is bounded, so a flood cannot grow memory.
/// </summary>
internal sealed class UdpReplayGuard
{
    private const int MaxRemembered = 100_000;

    private readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;

    public UdpReplayGuard(TimeSpan window, TimeProvider? time = null)
    {
        _window = window;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Whether <paramref name="packet"/> is fresh; remembers its nonce when it is.</summary>
    public bool TryAccept(UdpChatPacket packet, out string error) => TryRemember(packet.Nonce, packet.Timestamp, out error);

    /// <summary>
    /// Remembers a nonce this side sent itself (the relay's own datagrams), so the same datagram sent back to it is a
    /// replay, not new input. False when it was already known.
    /// </summary>
    public bool Remember(UdpChatPacket packet) => TryRemember(packet.Nonce, packet.Timestamp, out _);

    private bool TryRemember(string nonce, long timestamp, out string error)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long window = (long)_window.TotalMilliseconds;
        // The timestamp is the sender's: any long at all. Int128 holds every difference of two longs, so
        // ts = now - 2^63 is merely stale instead of overflowing Math.Abs (which threw and stopped the relay).
        Int128 away = (Int128)now - timestamp;
        if (Int128.Abs(away) > window)
        {
            error = $"timestamp {away} ms away from this clock (window ±{window} ms): stale or replayed";
            return false;
        }
        lock (_seen)
        {
            if (_seen.Count >= MaxRemembered)
            {
                foreach (var (seen, expires) in _seen)
                {
                    if (expires < now) _seen.Remove(seen);
                }
                if (_seen.Count >= MaxRemembered)
                {
                    error = "too many datagrams in the replay window";
                    return false;
                }
            }
            if (!_seen.TryAdd(nonce, timestamp + window))
            {
                error = "nonce already seen: replayed";
                return false;
            }
        }
        error = "";
        return true;
    }
}

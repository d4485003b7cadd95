namespace Ferry.Datagrams;

/// <summary>
/// Refuses datagrams whose timestamp is outside the window or whose nonce was already seen inside it.
/// Remembered nonces expire with the window, and their number is bounded, so a flood cannot grow memory.
/// </summary>
public sealed class UdpReplayGuard
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
    public bool TryAccept(UdpChatPacket packet, out string error)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long window = (long)_window.TotalMilliseconds;
        if (Math.Abs(now - packet.Timestamp) > window)
        {
            error = $"timestamp {now - packet.Timestamp} ms away from this clock (window ±{window} ms): stale or replayed";
            return false;
        }
        lock (_seen)
        {
            if (_seen.Count >= MaxRemembered)
            {
                foreach (var (nonce, expires) in _seen)
                {
                    if (expires < now) _seen.Remove(nonce);
                }
                if (_seen.Count >= MaxRemembered)
                {
                    error = "too many datagrams in the replay window";
                    return false;
                }
            }
            if (!_seen.TryAdd(packet.Nonce, packet.Timestamp + window))
            {
                error = "nonce already seen: replayed";
                return false;
            }
        }
        error = "";
        return true;
    }
}

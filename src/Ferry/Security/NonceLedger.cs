namespace Ferry.Security;

/// <summary>
/// Client nonces seen recently. A proof is bound to the server's fresh nonce, so a replayed one fails anyway;
/// remembering client nonces lets the server say so plainly (and log it) instead of reporting a wrong key.
/// Bounded: the oldest entries are forgotten first.
/// </summary>
internal sealed class NonceLedger(int capacity)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>Records <paramref name="nonce"/>; false when it was already used.</summary>
    public bool TryUse(ReadOnlySpan<byte> nonce)
    {
        var text = Convert.ToBase64String(nonce);
        lock (_seen)
        {
            if (!_seen.Add(text)) return false;
            _order.Enqueue(text);
            while (_order.Count > capacity) _seen.Remove(_order.Dequeue());
            return true;
        }
    }
}

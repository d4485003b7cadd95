namespace Ferry.Security;

/// <summary>
/// Caps connections that have not authenticated yet, per source address and in all, so that idle or slow
/// handshakes cannot use up the server. A slot is taken at accept and given back on authentication or close.
/// </summary>
internal sealed class PreAuthGate
{
    private readonly Dictionary<string, int> _perAddress = new(StringComparer.Ordinal);
    private int _total;

    public PreAuthGate(int maxPerAddress, int maxTotal)
    {
        MaxPerAddress = maxPerAddress;
        MaxTotal = maxTotal;
    }

    public int MaxPerAddress { get; }

    public int MaxTotal { get; }

    /// <summary>Unauthenticated connections right now.</summary>
    public int Total
    {
        get
        {
            lock (_perAddress) return _total;
        }
    }

    /// <summary>Takes a slot for <paramref name="address"/>, or returns null when a cap is reached.</summary>
    public IDisposable? TryEnter(string address)
    {
        lock (_perAddress)
        {
            _perAddress.TryGetValue(address, out int count);
            if (count >= MaxPerAddress || _total >= MaxTotal) return null;
            _perAddress[address] = count + 1;
            _total++;
        }
        return new Slot(this, address);
    }

    private void Leave(string address)
    {
        lock (_perAddress)
        {
            _total--;
            if (_perAddress.TryGetValue(address, out int count) && count > 1) _perAddress[address] = count - 1;
            else _perAddress.Remove(address);
        }
    }

    private sealed class Slot(PreAuthGate gate, string address) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Leave(address);
        }
    }
}

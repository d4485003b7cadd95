namespace Ferry.Server;

/// <summary>
/// Caps on authenticated connections: in all (<see cref="FerryServerOptions.MaxConnections"/>) and per user
/// (<see cref="FerryServerOptions.MaxConnectionsPerUser"/>; every shared-key client is the user <c>key</c>). A slot is
/// taken when a login succeeds, before <c>auth.ok</c>, and given back when the connection ends.
/// </summary>
internal sealed class ConnectionCaps(int maxTotal, int maxPerUser)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _perUser = new(StringComparer.Ordinal);
    private int _total;

    /// <summary>Takes a slot for <paramref name="user"/>; null with <paramref name="refusal"/> saying which cap is full.</summary>
    public IDisposable? TryEnter(string user, out string? refusal)
    {
        lock (_gate)
        {
            if (_total >= maxTotal)
            {
                refusal = $"busy: the server already has {_total} authenticated connections (its --max-connections cap is {maxTotal}); try again later";
                return null;
            }
            _perUser.TryGetValue(user, out int mine);
            if (mine >= maxPerUser)
            {
                refusal = $"busy: '{Protocol.LogText.Escape(user, 64)}' already has {mine} connections to this server (its --max-connections-per-user cap is {maxPerUser}); close one first";
                return null;
            }
            _total++;
            _perUser[user] = mine + 1;
        }
        refusal = null;
        return new Slot(this, user);
    }

    private void Leave(string user)
    {
        lock (_gate)
        {
            _total--;
            if (_perUser.TryGetValue(user, out int mine) && mine > 1) _perUser[user] = mine - 1;
            else _perUser.Remove(user);
        }
    }

    private sealed class Slot(ConnectionCaps caps, string user) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) caps.Leave(user);
        }
    }
}

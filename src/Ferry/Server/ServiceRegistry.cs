namespace Ferry.Server;

/// <summary>Every route of a server's services: message type to handler, the right it needs and its request count.</summary>
internal sealed class ServiceRegistry
{
    private readonly Dictionary<string, Registration> _routes = new(StringComparer.Ordinal);

    public void Add(string type, RequestHandler handler, string? right, bool continues, object owner)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(handler);
        if (!_routes.TryAdd(type, new Registration(handler, right, continues, owner, new StatsCounter())))
        {
            throw new InvalidOperationException($"message type '{type}' is already mapped by another service");
        }
    }

    public bool TryGet(string type, out Registration registration) => _routes.TryGetValue(type, out registration);

    /// <summary>The mapped types, for diagnostics.</summary>
    public IEnumerable<string> Types => _routes.Keys;

    /// <summary>Requests dispatched so far per mapped type (types never requested are left out).</summary>
    public IEnumerable<KeyValuePair<string, long>> RequestCounts =>
        _routes.Where(r => r.Value.Requests.Value > 0).Select(r => KeyValuePair.Create(r.Key, r.Value.Requests.Value));

    /// <summary>
    /// A route: its handler, the right it needs, whether it continues an open exchange, the service that mapped it
    /// (a continuation joins only an exchange its own service opened), how often it ran.
    /// </summary>
    public readonly record struct Registration(RequestHandler Handler, string? Right, bool Continues, object Owner, StatsCounter Requests);
}

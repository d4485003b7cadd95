namespace Ferry.Server;

/// <summary>Maps message types to the services that handle them, and the right each needs.</summary>
public sealed class ServiceRegistry
{
    private readonly Dictionary<string, Registration> _routes = new(StringComparer.Ordinal);

    /// <summary>Routes <paramref name="type"/> to <paramref name="service"/>; <paramref name="right"/> null means any authenticated peer.</summary>
    public ServiceRegistry Map(string type, IFerryService service, string? right = null)
    {
        if (!_routes.TryAdd(type, new Registration(service, right, new StatsCounter())))
        {
            throw new InvalidOperationException($"message type '{type}' is already mapped");
        }
        return this;
    }

    public bool TryGet(string type, out Registration registration) => _routes.TryGetValue(type, out registration);

    /// <summary>The mapped types, for diagnostics.</summary>
    public IEnumerable<string> Types => _routes.Keys;

    /// <summary>Requests dispatched so far per mapped type (types never requested are left out).</summary>
    public IEnumerable<KeyValuePair<string, long>> RequestCounts =>
        _routes.Where(r => r.Value.Requests.Value > 0).Select(r => KeyValuePair.Create(r.Key, r.Value.Requests.Value));

    /// <summary>A route: the service, the right it needs, and how often it was dispatched (counted where it is looked up).</summary>
    public readonly record struct Registration(IFerryService Service, string? Right, StatsCounter Requests);
}

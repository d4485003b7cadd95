namespace Ferry.Security;

/// <summary>Who is on the other end of a connection, and what they may do.</summary>
public sealed class Principal
{
    /// <summary>Who a connection authenticated as, how, and with which rights.</summary>
    public Principal(string name, string method, IEnumerable<string> rights)
    {
        Name = name;
        Method = method;
        Rights = new HashSet<string>(rights, StringComparer.Ordinal);
    }

    /// <summary>The user name, or a fixed name for key- or un-authenticated peers.</summary>
    public string Name { get; }

    /// <summary>How the principal authenticated: <c>none</c>, <c>key</c> or <c>scram</c>.</summary>
    public string Method { get; }

    /// <summary>The rights held.</summary>
    public IReadOnlySet<string> Rights { get; }

    /// <summary>A server with authentication off treats every peer as holding every right.</summary>
    public static Principal Anonymous { get; } = new("anonymous", "none", Security.Rights.All);

    /// <summary>Whether the principal holds <paramref name="right"/>; a null right is held by everyone.</summary>
    public bool Has(string? right) => right is null || Rights.Contains(right);

    /// <summary><c>name (method)</c>.</summary>
    public override string ToString() => $"{Name} ({Method})";
}

namespace Ferry.Client;

/// <summary>How a <see cref="FerryClient"/> connects and authenticates.</summary>
public sealed class FerryClientOptions
{
    public FerryClientOptions(FerryTarget target) => Target = target;

    /// <summary>Where to connect.</summary>
    public FerryTarget Target { get; set; }

    /// <summary>Connect without TLS (the server must be started with <c>--plaintext</c> too).</summary>
    public bool Plaintext { get; set; } = true;

    /// <summary>How long connecting plus the handshake may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The default deadline for one request/response exchange; <see cref="Timeout.InfiniteTimeSpan"/> for none.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Name and version sent in hello, for the server's logs.</summary>
    public string ClientName { get; set; } = "ferry/" + (typeof(FerryClientOptions).Assembly.GetName().Version?.ToString(3) ?? "0");
}

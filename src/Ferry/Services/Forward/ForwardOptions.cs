using Ferry.Contracts.Forward;

namespace Ferry.Services.Forward;

/// <summary>Settings for TCP port forwarding (<c>ferry serve --allow-forward</c> and friends, docs/security.md §9).</summary>
public sealed class ForwardOptions
{
    /// <summary>Whether the server forwards at all. Off by default; users also need the <c>forward</c> right.</summary>
    public bool Enabled { get; set; }

    /// <summary>Where <c>forward.open</c> may connect (<c>--forward-to</c>); the server's loopback by default.</summary>
    public ForwardDestinations Destinations { get; set; } = ForwardDestinations.LoopbackOnly;

    /// <summary>
    /// Whether <c>forward.listen</c> may bind any address of the server (<c>--forward-gateway</c>, sshd's
    /// <c>GatewayPorts yes</c>). Off: only loopback addresses, so a remote forward is reachable from the server itself only.
    /// </summary>
    public bool AllowAnyBindAddress { get; set; }

    /// <summary>Streams open at once on one connection.</summary>
    public int MaxStreamsPerConnection { get; set; } = 128;

    /// <summary>Streams open at once for one user, over all its connections (shared-key clients count as the user <c>key</c>).</summary>
    public int MaxStreamsPerUser { get; set; } = 512;

    /// <summary>Streams open at once on the whole server.</summary>
    public int MaxStreams { get; set; } = 4096;

    /// <summary>Remote (<c>forward.listen</c>) listeners open at once on one connection.</summary>
    public int MaxListenersPerConnection { get; set; } = 16;

    /// <summary>Connections a listener holds for the client to accept; more are closed at once.</summary>
    public int MaxPendingPerListener { get; set; } = 64;

    /// <summary>The receive window the server offers each stream: what it queues for a destination that reads slowly.</summary>
    public int WindowBytes { get; set; } = ForwardLimits.DefaultWindowBytes;

    /// <summary>How long connecting to a destination may take before the stream ends with <c>unreachable</c> (on the server's clock, <c>FerryServerOptions.Time</c>).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a listener's accepted connection waits for <c>forward.accept</c> before it is closed.</summary>
    public TimeSpan AcceptTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

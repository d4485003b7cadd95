using System.Net;

namespace Ferry.Server;

/// <summary>Settings for a Ferry server: where it listens, its limits, and where it keeps its state.</summary>
public sealed class FerryServerOptions
{
    /// <summary>The port a server listens on when none is given.</summary>
    public const int DefaultPort = 7070;

    /// <summary>The main framed-protocol endpoints: <see cref="IPEndPoint"/> or <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>.</summary>
    public List<EndPoint> Endpoints { get; } = [];

    /// <summary>The browser front end (<c>--web</c>): the page and the WebSocket binding; null (the default) for none.</summary>
    public WebOptions? Web { get; set; }

    /// <summary>The state folder (certificate, keys, users, files); <c>~/.ferry</c> by default.</summary>
    public string DataDirectory { get; set; } = FerryPaths.DefaultHome();

    /// <summary>Run without TLS. For loopback demos and benchmarks; refused on other addresses unless <see cref="Insecure"/>.</summary>
    public bool Plaintext { get; set; }

    /// <summary>Allow <see cref="Plaintext"/> on an address other than loopback.</summary>
    public bool Insecure { get; set; }

    /// <summary>Pre-authentication caps and the failed-login slow-down (docs/security.md).</summary>
    public Ferry.Server.Authentication.AuthenticationOptions Authentication { get; set; } = new();

    /// <summary>The header limit once authenticated (docs/protocol.md §2.2).</summary>
    public int MaxHeaderBytes { get; set; } = Protocol.FrameCodec.DefaultMaxHeaderBytes;

    /// <summary>The header limit before authentication.</summary>
    public int PreAuthMaxHeaderBytes { get; set; } = 4 * 1024;

    /// <summary>How long a connection may take from accept to authenticated.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long graceful shutdown waits for in-flight work before aborting connections.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a send cancelled mid-frame may still take to finish that frame before the connection is closed: a peer
    /// that stopped reading (<see cref="Connections.FrameConnection.StuckFlushGrace"/>).
    /// </summary>
    public TimeSpan SendStallGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After a final error frame, how long the peer may take to close before the socket closes anyway; also how
    /// long closing waits for a frame being written (<see cref="Connections.FrameConnection.LingerTimeout"/>).
    /// </summary>
    public TimeSpan CloseGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// When a connection ends, how long its requests' background work (a running command, a download) may take to
    /// observe the cancellation and clean up (kill its processes, remove a .part claim) before the session moves on.
    /// </summary>
    public TimeSpan RequestDrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The clock behind the server's timeouts and grace periods (handshake, login slow-down, the ones above); tests
    /// drive it with a fake one.
    /// </summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Authenticated connections at once, in all (<c>--max-connections</c>); a login beyond it is refused with <c>busy</c>.</summary>
    public int MaxConnections { get; set; } = 16_384;

    /// <summary>
    /// Authenticated connections one user may hold at once (<c>--max-connections-per-user</c>); every shared-key client
    /// is the one user <c>key</c>. A login beyond it is refused with <c>busy</c>.
    /// </summary>
    public int MaxConnectionsPerUser { get; set; } = 10_240;

    /// <summary>
    /// How long a background component (UDP chat, SNTP, UDP echo, the .part sweeper) waits before it is restarted after
    /// a fault; the wait doubles with each fault in a row, up to <see cref="ServiceRestartMaxDelay"/>.
    /// </summary>
    public TimeSpan ServiceRestartDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait before a faulted background component restarts.</summary>
    public TimeSpan ServiceRestartMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Run socket continuations inline on the I/O thread (faster for small frames); see docs/performance.md.</summary>
    public bool InlineScheduling { get; set; } = true;

    /// <summary>Name and version sent in the hello response.</summary>
    public string ServerName { get; set; } = "ferry/" + (typeof(FerryServerOptions).Assembly.GetName().Version?.ToString(3) ?? "0");
}

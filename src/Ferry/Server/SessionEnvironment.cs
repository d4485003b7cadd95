using Microsoft.Extensions.Logging;

namespace Ferry.Server;

/// <summary>What every session on a server shares: options, routes, authenticator, logging.</summary>
internal sealed record SessionEnvironment(
    FerryServerOptions Options,
    ServiceRegistry Services,
    IServerAuthenticator? Authenticator,
    ILogger Logger,
    string ServerName)
{
    /// <summary>The server's running totals (connections, requests, bytes).</summary>
    public ServerStats Stats { get; init; } = new();

    /// <summary>Where services' loggers of their own category come from (<see cref="ServerSession.LoggerFor"/>); null: the server's.</summary>
    public ILoggerFactory? Loggers { get; init; }

    /// <summary>The caps on authenticated connections, in all and per user.</summary>
    public ConnectionCaps Caps { get; } = new(Options.MaxConnections, Options.MaxConnectionsPerUser);
}

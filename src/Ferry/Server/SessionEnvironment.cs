using Microsoft.Extensions.Logging;

namespace Ferry.Server;

/// <summary>What every session on a server shares: options, routes, authenticator, logging.</summary>
internal sealed record SessionEnvironment(
    FerryServerOptions Options,
    ServiceRegistry Services,
    IServerAuthenticator? Authenticator,
    ILogger Logger,
    string ServerName);

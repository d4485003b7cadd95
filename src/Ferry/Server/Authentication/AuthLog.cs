using Microsoft.Extensions.Logging;

namespace Ferry.Server.Authentication;

/// <summary>Authentication events. Addresses and user names are logged; passwords, keys and proofs never are.</summary>
internal static partial class AuthLog
{
    [LoggerMessage(100, LogLevel.Warning, "Failed {Method} login from {Remote} as '{User}': {Reason} (failure {Count} from this address; answered after {DelayMs} ms)")]
    public static partial void LoginFailed(ILogger logger, string method, string remote, string user, string reason, int count, long delayMs);

    // Information, like sshd's "Accepted ... for USER from ADDR": the login half of the audit trail (exec is the other).
    [LoggerMessage(101, LogLevel.Information, "Login: {Remote} authenticated as '{User}' by {Method}")]
    public static partial void LoginSucceeded(ILogger logger, string remote, string user, string method);

    [LoggerMessage(102, LogLevel.Warning, "Refused a connection from {Remote}: {Reason}")]
    public static partial void ConnectionRefused(ILogger logger, string remote, string reason);

    [LoggerMessage(104, LogLevel.Debug, "TLS handshake with {Remote} failed: {Reason}")]
    public static partial void TlsHandshakeFailed(ILogger logger, string remote, string reason);

    [LoggerMessage(103, LogLevel.Warning, "Connection from {Remote} sent '{Type}' before authenticating; closed")]
    public static partial void RequestBeforeAuth(ILogger logger, string remote, string type);
}

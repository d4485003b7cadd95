using Ferry.Protocol;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Authentication;

/// <summary>
/// Authentication events. Addresses and user names are logged; passwords, keys and proofs never are. Everything a
/// peer chose (user names, message types, reasons quoting them) goes through <see cref="LogText.Escape"/> here, in
/// one place, so no caller can forget it: a user name carrying ESC or CR cannot forge lines or drive a terminal.
/// </summary>
internal static partial class AuthLog
{
    public static void LoginFailed(ILogger logger, string method, string remote, string user, string reason, int count, long delayMs) =>
        LoginFailedCore(logger, method, remote, LogText.Escape(user), LogText.Escape(reason), count, delayMs);

    public static void LoginSucceeded(ILogger logger, string remote, string user, string method) =>
        LoginSucceededCore(logger, remote, LogText.Escape(user), method);

    public static void ConnectionRefused(ILogger logger, string remote, string reason) => ConnectionRefusedCore(logger, remote, LogText.Escape(reason));

    public static void TlsHandshakeFailed(ILogger logger, string remote, string reason) => TlsHandshakeFailedCore(logger, remote, LogText.Escape(reason));

    public static void RequestBeforeAuth(ILogger logger, string remote, string type) => RequestBeforeAuthCore(logger, remote, LogText.Escape(type));

    [LoggerMessage(100, LogLevel.Warning, "Failed {Method} login from {Remote} as '{User}': {Reason} (failure {Count} from this address; answered after {DelayMs} ms)")]
    private static partial void LoginFailedCore(ILogger logger, string method, string remote, string user, string reason, int count, long delayMs);

    // Information, like sshd's "Accepted ... for USER from ADDR": the login half of the audit trail (exec is the other).
    [LoggerMessage(101, LogLevel.Information, "Login: {Remote} authenticated as '{User}' by {Method}")]
    private static partial void LoginSucceededCore(ILogger logger, string remote, string user, string method);

    [LoggerMessage(102, LogLevel.Warning, "Refused a connection from {Remote}: {Reason}")]
    private static partial void ConnectionRefusedCore(ILogger logger, string remote, string reason);

    [LoggerMessage(104, LogLevel.Debug, "TLS handshake with {Remote} failed: {Reason}")]
    private static partial void TlsHandshakeFailedCore(ILogger logger, string remote, string reason);

    [LoggerMessage(103, LogLevel.Warning, "Connection from {Remote} sent '{Type}' before authenticating; closed")]
    private static partial void RequestBeforeAuthCore(ILogger logger, string remote, string type);
}

using Ferry.Protocol;
using Microsoft.Extensions.Logging;

namespace Ferry.Server;

/// <summary>
/// Logging for the server host, with stable event ids. Text that can come from a peer (close details quoting a
/// header, message types, and the messages of exceptions, which may quote a path or a name a peer sent) is escaped
/// here with <see cref="LogText.Escape"/> (<see cref="LoggedException"/>), once, for every caller.
/// </summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Debug, "Connection {ConnectionId} from {Remote} opened")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, string? remote);

    public static void ConnectionClosed(ILogger logger, string connectionId, Connections.CloseReason reason, string? detail) =>
        ConnectionClosedCore(logger, connectionId, reason, LogText.Escape(detail));

    public static void ProtocolViolation(ILogger logger, string connectionId, string? remote, string detail) =>
        ProtocolViolationCore(logger, connectionId, remote, LogText.Escape(detail));

    public static void RequestFault(ILogger logger, Exception exception, string type, long id, string connectionId) =>
        RequestFaultCore(logger, LoggedException.For(exception), LogText.Escape(type), id, connectionId);

    public static void ConnectionFault(ILogger logger, Exception exception, string connectionId) =>
        ConnectionFaultCore(logger, LoggedException.For(exception), connectionId);

    public static void BackgroundServiceFailed(ILogger logger, Exception exception, string service, long delayMs, int failures) =>
        BackgroundServiceFailedCore(logger, LoggedException.For(exception), service, delayMs, failures);

    public static void RequestStarted(ILogger logger, string type, long id)
    {
        if (logger.IsEnabled(LogLevel.Trace)) RequestStartedCore(logger, LogText.Escape(type), id);
    }

    /// <summary>A request answered with an error frame: the peer's mistake or a refusal, not the server's fault.</summary>
    public static void RequestRefused(ILogger logger, string type, long id, ProtocolError error, string message)
    {
        if (logger.IsEnabled(LogLevel.Debug)) RequestRefusedCore(logger, LogText.Escape(type), id, ProtocolErrorCodes.ToWire(error), LogText.Escape(message));
    }

    /// <summary>A request the principal has no right to: worth a line at the default level, as a failed login is.</summary>
    public static void RequestForbidden(ILogger logger, string type, long id, string principal, string? right) =>
        RequestForbiddenCore(logger, LogText.Escape(type), id, LogText.Escape(principal), right);

    [LoggerMessage(2, LogLevel.Debug, "Connection {ConnectionId} closed: {Reason} {Detail}")]
    private static partial void ConnectionClosedCore(ILogger logger, string connectionId, Connections.CloseReason reason, string? detail);

    [LoggerMessage(3, LogLevel.Warning, "Connection {ConnectionId} from {Remote} broke the protocol: {Detail}")]
    private static partial void ProtocolViolationCore(ILogger logger, string connectionId, string? remote, string detail);

    [LoggerMessage(4, LogLevel.Error, "Connection {ConnectionId} failed unexpectedly")]
    private static partial void ConnectionFaultCore(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(5, LogLevel.Error, "Request {Type}#{Id} on {ConnectionId} failed unexpectedly")]
    private static partial void RequestFaultCore(ILogger logger, Exception exception, string type, long id, string connectionId);

    [LoggerMessage(8, LogLevel.Trace, "Request {Type}#{Id} started")]
    private static partial void RequestStartedCore(ILogger logger, string type, long id);

    [LoggerMessage(9, LogLevel.Debug, "Request {Type}#{Id} refused: {Code}: {Message}")]
    private static partial void RequestRefusedCore(ILogger logger, string type, long id, string code, string message);

    [LoggerMessage(10, LogLevel.Information, "Request {Type}#{Id} forbidden: {Principal} lacks the '{Right}' right")]
    private static partial void RequestForbiddenCore(ILogger logger, string type, long id, string principal, string? right);

    [LoggerMessage(6, LogLevel.Information, "Ferry listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, string endpoint);

    [LoggerMessage(7, LogLevel.Error, "Background service {Service} failed; it restarts in {DelayMs} ms (failure {Failures} in a row); the server keeps serving")]
    private static partial void BackgroundServiceFailedCore(ILogger logger, Exception exception, string service, long delayMs, int failures);
}

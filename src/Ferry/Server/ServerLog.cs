using Microsoft.Extensions.Logging;

namespace Ferry.Server;

/// <summary>Logging for the server host, with stable event ids.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Debug, "Connection {ConnectionId} from {Remote} opened")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, string? remote);

    [LoggerMessage(2, LogLevel.Debug, "Connection {ConnectionId} closed: {Reason} {Detail}")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId, Connections.CloseReason reason, string? detail);

    [LoggerMessage(3, LogLevel.Warning, "Connection {ConnectionId} from {Remote} broke the protocol: {Detail}")]
    public static partial void ProtocolViolation(ILogger logger, string connectionId, string? remote, string detail);

    [LoggerMessage(4, LogLevel.Error, "Connection {ConnectionId} failed unexpectedly")]
    public static partial void ConnectionFault(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(5, LogLevel.Error, "Request {Type}#{Id} on {ConnectionId} failed unexpectedly")]
    public static partial void RequestFault(ILogger logger, Exception exception, string type, long id, string connectionId);

    [LoggerMessage(6, LogLevel.Information, "Ferry listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, string endpoint);
}

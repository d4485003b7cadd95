using Ferry.Protocol;
using Microsoft.Extensions.Logging;

namespace Ferry.Services.Chat.Redis;

/// <summary>The Redis chat backplane's log events (ids 500-519). What came out of Redis is escaped before it is logged.</summary>
internal static partial class RedisChatLog
{
    [LoggerMessage(500, LogLevel.Information, "Chat joined the Redis backplane at {Address} as server {ServerId}")]
    public static partial void Connected(ILogger logger, string address, string serverId);

    [LoggerMessage(501, LogLevel.Warning, "Chat backend (Redis) lost ({Failure}): chat requests are refused until it is back")]
    public static partial void Lost(ILogger logger, string failure);

    [LoggerMessage(502, LogLevel.Information, "Chat backend (Redis) is back: catching up every followed room from its log")]
    public static partial void Restored(ILogger logger);

    public static void Ignored(ILogger logger, string what, ReadOnlySpan<byte> payload) =>
        IgnoredCore(logger, what, LogText.Escape(System.Text.Encoding.UTF8.GetString(payload[..Math.Min(payload.Length, 120)]), 120));

    [LoggerMessage(503, LogLevel.Warning, "Chat ignored {What} from Redis that does not check out: {Payload}")]
    private static partial void IgnoredCore(ILogger logger, string what, string payload);

    [LoggerMessage(504, LogLevel.Information, "Chat: {Count} lost server(s) swept; their members were announced as left (server lost)")]
    public static partial void Swept(ILogger logger, long count);

    [LoggerMessage(505, LogLevel.Warning, "Chat heartbeat to Redis failed: {Failure}")]
    public static partial void HeartbeatFailed(ILogger logger, string failure);

    [LoggerMessage(506, LogLevel.Error, "Chat backplane work failed")]
    public static partial void WorkFailed(ILogger logger, Exception exception);

    [LoggerMessage(507, LogLevel.Warning, "Chat: this server's presence had vanished from Redis (data lost, or it was swept as lost); re-announced {Count} member(s)")]
    public static partial void Reasserted(ILogger logger, int count);

    [LoggerMessage(508, LogLevel.Warning, "Chat: the backplane queue is full; {Count} event(s) dropped (they are read back from the room logs)")]
    public static partial void QueueFull(ILogger logger, long count);
}

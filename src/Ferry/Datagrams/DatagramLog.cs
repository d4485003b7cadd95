using System.Net;
using Microsoft.Extensions.Logging;

namespace Ferry.Datagrams;

/// <summary>
/// The UDP side's log events (SNTP, UDP chat, UDP echo), source-generated so a disabled level costs nothing on the
/// receive loops. Ids 400–420 belong to this area; they are stable so operators can filter on them.
/// </summary>
internal static partial class DatagramLog
{
    [LoggerMessage(400, LogLevel.Information, "SNTP server listening on udp {EndPoint} (stratum {Stratum}, reference {ReferenceId}{Rate})")]
    public static partial void SntpListening(ILogger logger, EndPoint? endPoint, int stratum, string referenceId, string rate);

    [LoggerMessage(401, LogLevel.Error, "SNTP server on {EndPoint} stopped")]
    public static partial void SntpStopped(ILogger logger, Exception exception, EndPoint? endPoint);

    [LoggerMessage(402, LogLevel.Debug, "SNTP receive timestamps from {Source}")]
    public static partial void SntpTimestampSource(ILogger logger, string source);

    [LoggerMessage(403, LogLevel.Debug, "SNTP receive failed")]
    public static partial void SntpReceiveFailed(ILogger logger, Exception exception);

    [LoggerMessage(404, LogLevel.Debug, "SNTP reply failed")]
    public static partial void SntpReplyFailed(ILogger logger, Exception exception);

    [LoggerMessage(410, LogLevel.Information, "UDP chat relay on {EndPoint}: datagrams must be signed with the server's shared key; UDP may lose or reorder messages")]
    public static partial void UdpChatListening(ILogger logger, EndPoint? endPoint);

    [LoggerMessage(411, LogLevel.Debug, "UDP chat send failed")]
    public static partial void UdpChatSendFailed(ILogger logger, Exception exception);

    // The reason may quote the datagram: the caller escapes it (Protocol.LogText) before it reaches a log line.
    [LoggerMessage(412, LogLevel.Debug, "UDP chat: ignored a datagram from {From}: {Why}")]
    public static partial void UdpChatIgnored(ILogger logger, EndPoint? from, string why);

    [LoggerMessage(420, LogLevel.Debug, "UDP echo reply to {Remote} failed")]
    public static partial void UdpEchoReplyFailed(ILogger logger, Exception exception, EndPoint? remote);
}

using Microsoft.Extensions.Logging;

namespace Ferry.Server.Web;

/// <summary>The browser front end's events (ids 600-609). Peer-chosen text arrives here already escaped.</summary>
internal static partial class WebLog
{
    [LoggerMessage(600, LogLevel.Warning, "WebSocket from {Remote} refused: its Origin {Origin} is not this server's own ({Own})")]
    public static partial void ForeignOrigin(ILogger logger, string remote, string origin, string own);

    [LoggerMessage(601, LogLevel.Warning, "Web request from {Remote} refused (Host {HostHeader}): {Reason}")]
    public static partial void Refused(ILogger logger, string remote, string hostHeader, string reason);

    [LoggerMessage(602, LogLevel.Information, "WebSocket from {Remote} closed for breaking the binding: {Reason}")]
    public static partial void BindingViolation(ILogger logger, string remote, string reason);

    [LoggerMessage(603, LogLevel.Information, "Ferry web page on {Url}")]
    public static partial void Listening(ILogger logger, string url);
}

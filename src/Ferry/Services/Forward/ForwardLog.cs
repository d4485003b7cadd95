using Microsoft.Extensions.Logging;

namespace Ferry.Services.Forward;

/// <summary>
/// The forwarding audit trail, at Information like exec's: who reached which destination, who listened where, how each
/// stream ended. Host names come from the network and are escaped (LogText) before they get here.
/// </summary>
internal static partial class ForwardLog
{
    /// <summary>The category these events are logged under, apart from the server's own (<c>Ferry.Server</c>).</summary>
    public const string Category = "Ferry.Forward";

    [LoggerMessage(500, LogLevel.Information, "Forward opened by '{User}' from {Remote} (request {Id}): {Destination} ({Address})")]
    public static partial void Opened(ILogger logger, string user, string remote, long id, string destination, string address);

    [LoggerMessage(501, LogLevel.Information, "Forward ended for '{User}' from {Remote} (request {Id}): {Destination}, {Reason}, {Up} bytes up, {Down} bytes down")]
    public static partial void Ended(ILogger logger, string user, string remote, long id, string destination, string reason, long up, long down);

    [LoggerMessage(502, LogLevel.Information, "Forward refused for '{User}' from {Remote} (request {Id}): {Destination}: {Reason}")]
    public static partial void Refused(ILogger logger, string user, string remote, long id, string destination, string reason);

    [LoggerMessage(503, LogLevel.Information, "Forward listener opened by '{User}' from {Remote} (request {Id}) on {Address}")]
    public static partial void Listening(ILogger logger, string user, string remote, long id, string address);

    [LoggerMessage(504, LogLevel.Information, "Forward listener closed for '{User}' from {Remote} (request {Id}) on {Address}")]
    public static partial void ListenerClosed(ILogger logger, string user, string remote, long id, string address);
}

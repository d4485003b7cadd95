using Microsoft.Extensions.Logging;
using Ferry.Contracts.Exec;

namespace Ferry.Services.Exec;

/// <summary>
/// The exec audit trail, at Information so a default server shows it (like sshd's auth log): who ran what, from
/// where, and how it ended. Command lines come from the network and are escaped (LogText) before they get here.
/// </summary>
internal static partial class ExecLog
{
    [LoggerMessage(200, LogLevel.Information, "Exec started by '{User}' from {Remote} (request {Id}): {Command}")]
    public static partial void Started(ILogger logger, string user, string remote, long id, string command);

    [LoggerMessage(201, LogLevel.Information, "Exec ended for '{User}' from {Remote} (request {Id}): exit code {ExitCode}{Detail} after {Seconds:0.###} s: {Command}")]
    public static partial void Ended(ILogger logger, string user, string remote, long id, int exitCode, string detail, double seconds, string command);

    [LoggerMessage(202, LogLevel.Information, "Exec stopped for '{User}' from {Remote} (request {Id}): {Reason} after {Seconds:0.###} s: {Command}")]
    public static partial void Stopped(ILogger logger, string user, string remote, long id, string reason, double seconds, string command);

    [LoggerMessage(203, LogLevel.Information, "{Limit}")]
    public static partial void ProcessLimit(ILogger logger, string limit);
}

using Ferry.Client;
using Ferry.Security;

namespace Ferry.Cli.Infrastructure;

/// <summary>
/// Turns a TARGET typed on the command line into where to connect, through the host aliases of
/// <see cref="HostConfig"/>: <c>work</c> becomes its <c>HostName</c> and <c>Port</c>; a port typed with it
/// (<c>work:7001</c>) wins over the file's. Unix socket targets are taken as they are.
/// </summary>
internal static class TargetResolver
{
    /// <summary>The config of this user (<c>$FERRY_HOME/config</c>, else <c>~/.ferry/config</c>); a malformed one is a usage error.</summary>
    public static HostConfig LoadConfig()
    {
        try
        {
            return HostConfig.Load(StateFolder.Default());
        }
        catch (HostConfigException ex)
        {
            throw new CliUsageException(ex.Message);
        }
    }

    /// <summary>
    /// Resolves <paramref name="text"/>. With <paramref name="usePort"/> false (SNTP, whose port is not Ferry's) only
    /// the alias's <c>HostName</c> applies.
    /// </summary>
    public static (FerryTarget Target, HostSettings Settings) Resolve(string? text, HostConfig config, int defaultPort = FerryTarget.DefaultPort, bool usePort = true)
    {
        // -1: no port was typed, so the file's may apply.
        if (!FerryTarget.TryParse(text, out var typed, out var error, defaultPort: -1)) throw new CliUsageException(error);
        if (typed.IsUnix) return (typed, config.Resolve(""));
        var settings = config.Resolve(typed.Host);
        var host = typed.Host;
        int fromHostName = -1;
        if (settings.HostName is { } hostName)
        {
            if (!FerryTarget.TryParse(hostName, out var named, out var bad, defaultPort: -1))
            {
                throw new CliUsageException($"{HostConfig.Shown(config.Path)}:{settings.SettingLines["HostName"]}: HostName: {bad}");
            }
            if (named.IsUnix) return (named, settings);
            host = named.Host;
            fromHostName = named.Port;
        }
        int port = typed.Port >= 0 ? typed.Port
            : usePort && settings.Port is { } configured ? configured
            : fromHostName >= 0 ? fromHostName
            : defaultPort;
        return (new FerryTarget(host, port), settings);
    }
}

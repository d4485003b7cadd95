using System.Globalization;
using System.Net;
using Ferry.Client;

namespace Ferry.Cli.Infrastructure;

/// <summary>Parses listen addresses: <c>PORT</c>, <c>HOST:PORT</c>, <c>[v6]:PORT</c>; <c>localhost</c> means loopback.</summary>
internal static class EndPointParser
{
    public static IPEndPoint Parse(string text, IPAddress defaultAddress, string optionName)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int bare))
        {
            if (bare is < 0 or > 65535) throw new CliUsageException($"{optionName}: '{text}' is not a port (0-65535)");
            return new IPEndPoint(defaultAddress, bare);
        }
        if (!FerryTarget.TryParse(text, out var target, out var error, defaultPort: -1) || target.IsUnix)
        {
            throw new CliUsageException($"{optionName}: {error ?? $"'{text}' is not HOST:PORT"}");
        }
        if (target.Port < 0) throw new CliUsageException($"{optionName}: '{text}' needs a port, e.g. {text}:7070");
        return new IPEndPoint(Resolve(target.Host, optionName), target.Port);
    }

    public static IPAddress Resolve(string host, string optionName)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        if (host == "*") return IPAddress.Any;
        if (IPAddress.TryParse(host, out var address)) return address;
        try
        {
            return Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new CliUsageException($"{optionName}: '{host}' has no address");
        }
        catch (System.Net.Sockets.SocketException)
        {
            throw new CliUsageException($"{optionName}: cannot resolve '{host}'");
        }
    }
}

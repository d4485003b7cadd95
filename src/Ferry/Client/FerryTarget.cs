using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ferry.Client;

/// <summary>
/// Where to connect: <c>host</c>, <c>host:port</c>, <c>[v6-address]:port</c>, or a Unix socket as
/// <c>unix:PATH</c> (or any path with a slash in it, such as <c>./ferry.sock</c>).
/// </summary>
public sealed record FerryTarget(string Host, int Port, string? UnixPath = null)
{
    /// <summary>The port used when a target names none.</summary>
    public const int DefaultPort = 7070;

    /// <summary>Whether the target is a Unix-domain socket (<see cref="UnixPath"/>) rather than host and port.</summary>
    public bool IsUnix => UnixPath is not null;

    /// <summary>The endpoint to connect a socket to.</summary>
    public EndPoint ToEndPoint() => UnixPath is not null
        ? new UnixDomainSocketEndPoint(UnixPath)
        : IPAddress.TryParse(Host, out var address) ? new IPEndPoint(address, Port) : new DnsEndPoint(Host, Port);

    /// <summary>The key under which the host's certificate is remembered (host:port).</summary>
    public string HostKey => UnixPath is not null ? "unix:" + UnixPath : (Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}");

    /// <summary>The target as <see cref="HostKey"/>.</summary>
    public override string ToString() => HostKey;

    /// <summary>Parses <c>host[:port]</c>, <c>[v6]:port</c> or <c>unix:PATH</c>; throws <see cref="FormatException"/> with a one-line reason.</summary>
    public static FerryTarget Parse(string text, int defaultPort = DefaultPort) =>
        TryParse(text, out var target, out var error, defaultPort) ? target : throw new FormatException(error);

    /// <summary>Parses like <see cref="Parse"/>; false with <paramref name="error"/> set when the text is not a target.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out FerryTarget? target, [NotNullWhen(false)] out string? error, int defaultPort = DefaultPort)
    {
        target = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the target is empty; give host[:port], e.g. localhost or 10.0.0.5:7070";
            return false;
        }
        text = text.Trim();
        if (text.StartsWith("unix:", StringComparison.Ordinal) || text.Contains('/', StringComparison.Ordinal))
        {
            var path = text.StartsWith("unix:", StringComparison.Ordinal) ? text[5..] : text;
            if (path.Length == 0)
            {
                error = "'unix:' needs a socket path, e.g. unix:/tmp/ferry.sock";
                return false;
            }
            target = new FerryTarget("localhost", 0, Path.GetFullPath(path));
            return true;
        }
        string host = text;
        string? portText = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{text}' has '[' without ']'; write IPv6 targets as [::1]:7070";
                return false;
            }
            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    error = $"'{text}' has text after ']' that is not ':port'";
                    return false;
                }
                portText = rest[1..];
            }
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':', StringComparison.Ordinal) == colon)
            {
                host = text[..colon];
                portText = text[(colon + 1)..];
            }
            // More than one colon without brackets: a bare IPv6 address, default port.
        }
        if (host.Length == 0)
        {
            error = $"'{text}' has no host name";
            return false;
        }
        int port = defaultPort;
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 0 or > 65535))
        {
            error = $"'{portText}' is not a port number (0-65535)";
            return false;
        }
        target = new FerryTarget(host, port);
        return true;
    }
}

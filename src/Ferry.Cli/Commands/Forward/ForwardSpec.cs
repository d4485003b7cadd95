using System.Globalization;
using System.Net;
using Ferry.Cli.Infrastructure;

namespace Ferry.Cli.Commands.Forward;

/// <summary>Which way a forward goes: ssh's -L, -R and -D.</summary>
internal enum ForwardKind
{
    Local,
    Remote,
    Dynamic,
}

/// <summary>
/// One <c>-L [BIND:]PORT:HOST:HOSTPORT</c>, <c>-R [BIND:]PORT:HOST:HOSTPORT</c> or <c>-D [BIND:]PORT</c>, written as ssh
/// writes them: IPv6 addresses in brackets, an empty or <c>*</c> BIND for every address, <c>localhost</c> for loopback.
/// Pure: parsing only.
/// </summary>
internal sealed record ForwardSpec(ForwardKind Kind, string? Bind, int Port, string? Host, int HostPort, string Text)
{
    private static string Flag(ForwardKind kind) => kind switch
    {
        ForwardKind.Local => "-L",
        ForwardKind.Remote => "-R",
        _ => "-D",
    };

    /// <summary>Where a local listener binds: the given address, every address for <c>*</c> or an empty BIND, else 127.0.0.1.</summary>
    public IPAddress LocalBind => Bind switch
    {
        null or "localhost" => IPAddress.Loopback,
        "" or "*" => IPAddress.Any,
        _ => IPAddress.Parse(Bind),
    };

    /// <summary>Where a remote listener binds, as the server is asked: null (its loopback), or the address (<c>0.0.0.0</c> for <c>*</c>).</summary>
    public string? RemoteBind => Bind switch
    {
        null or "localhost" => null,
        "" or "*" => "0.0.0.0",
        _ => Bind,
    };

    public string Destination => Host is null ? "" : (Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host) + ":" + HostPort.ToString(CultureInfo.InvariantCulture);

    public static ForwardSpec Parse(ForwardKind kind, string text)
    {
        var parts = Split(kind, text);
        string example = kind == ForwardKind.Dynamic ? "1080 or 127.0.0.1:1080" : "8080:db:5432 or 127.0.0.1:8080:localhost:80";
        CliUsageException Bad(string why) => new($"{Flag(kind)} '{text}': {why} (e.g. {Flag(kind)} {example})");
        int expected = kind == ForwardKind.Dynamic ? 1 : 3;
        if (parts.Count != expected && parts.Count != expected + 1)
        {
            throw Bad(kind == ForwardKind.Dynamic ? "expected [BIND:]PORT" : "expected [BIND:]PORT:HOST:HOSTPORT");
        }
        string? bind = parts.Count == expected + 1 ? parts[0] : null;
        int at = parts.Count - expected;
        if (bind is { Length: > 0 } and not ("*" or "localhost") && !IPAddress.TryParse(bind, out _))
        {
            throw Bad($"'{bind}' is not an address to listen on (an IP address, localhost, or * for all)");
        }
        int port = ParsePort(parts[at], allowZero: true) ?? throw Bad($"'{parts[at]}' is not a port (1-65535)");
        if (kind == ForwardKind.Dynamic) return new ForwardSpec(kind, bind, port, null, 0, text);
        var host = parts[at + 1];
        if (host.Length == 0) throw Bad("the destination host is empty");
        int hostPort = ParsePort(parts[at + 2], allowZero: false) ?? throw Bad($"'{parts[at + 2]}' is not a port (1-65535)");
        return new ForwardSpec(kind, bind, port, host, hostPort, text);
    }

    private static int? ParsePort(string text, bool allowZero) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535 && (port > 0 || allowZero) ? port : null;

    // Splits on ':' outside brackets; a bracketed part loses its brackets ([::1] is ::1).
    private static List<string> Split(ForwardKind kind, string text)
    {
        var parts = new List<string>();
        var current = new System.Text.StringBuilder();
        bool bracket = false;
        foreach (char c in text)
        {
            if (c == '[' && !bracket && current.Length == 0)
            {
                bracket = true;
            }
            else if (c == ']' && bracket)
            {
                bracket = false;
            }
            else if (c == ':' && !bracket)
            {
                parts.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        if (bracket) throw new CliUsageException($"{Flag(kind)} '{text}': an opening '[' without its ']'");
        parts.Add(current.ToString());
        return parts;
    }
}

using System.Globalization;
using System.Net;

namespace Ferry.Services.Forward;

/// <summary>
/// Which destinations the server connects to for <c>forward.open</c> (<c>ferry serve --forward-to</c>,
/// docs/security.md §9): a list of <c>HOST:PORT</c> patterns, any one of which admits a destination. HOST is <c>*</c>,
/// a name (<c>db.internal</c>, or <c>*.internal</c> for any name below it), an address or a CIDR block
/// (<c>10.0.0.0/8</c>, <c>[fd00::/8]</c>); PORT is <c>*</c>, a number or a range (<c>8000-8999</c>), and may be left
/// out for any port. Address and CIDR patterns are checked against every address the name resolves to, so a name
/// cannot smuggle in an address the list does not allow; a name pattern admits whatever that name resolves to.
/// Pure: parsing and matching, no resolution.
/// </summary>
public sealed class ForwardDestinations
{
    private readonly List<Pattern> _patterns;

    private ForwardDestinations(List<Pattern> patterns, string text)
    {
        _patterns = patterns;
        Description = text;
    }

    /// <summary>
    /// The default when <c>--forward-to</c> is not given: the server's own loopback addresses, any port — what
    /// <c>ferry forward -L 5432:localhost:5432</c> needs, and nothing on the server's networks.
    /// </summary>
    public static ForwardDestinations LoopbackOnly { get; } = Parse(["127.0.0.0/8", "[::1]"]);

    /// <summary>The patterns, as given, for messages (“its --forward-to allows …”).</summary>
    public string Description { get; }

    /// <summary>Parses <paramref name="patterns"/>; an empty list means <see cref="LoopbackOnly"/>.</summary>
    /// <exception cref="FormatException">A pattern is not <c>HOST[:PORT]</c> as described above; the message says which and why.</exception>
    public static ForwardDestinations Parse(IEnumerable<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        var list = patterns.Select(ParseOne).ToList();
        if (list.Count == 0) return LoopbackOnly;
        return new ForwardDestinations(list, string.Join(", ", list.Select(p => p.Text)));
    }

    /// <summary>Whether some pattern admits <paramref name="host"/> (as the client named it) on <paramref name="port"/> by name alone.</summary>
    public bool AllowsName(string host, int port) => _patterns.Any(p => p.Ports.Contains(port) && p.MatchesName(host));

    /// <summary>Whether some pattern admits the resolved <paramref name="address"/> on <paramref name="port"/>.</summary>
    public bool AllowsAddress(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return _patterns.Any(p => p.Ports.Contains(port) && p.MatchesAddress(address));
    }

    /// <summary>
    /// The addresses of <paramref name="resolved"/> the server may connect to for <paramref name="host"/>:<paramref name="port"/>:
    /// all of them when a name pattern (or <c>*</c>) admits the host, else those an address pattern admits.
    /// </summary>
    public IPAddress[] Filter(string host, int port, IReadOnlyList<IPAddress> resolved)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        if (AllowsName(host, port)) return [.. resolved];
        return [.. resolved.Where(a => AllowsAddress(a, port))];
    }

    private static Pattern ParseOne(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new FormatException("an empty --forward-to pattern; write HOST:PORT, e.g. db.internal:5432 or 10.0.0.0/8:*");
        var trimmed = text.Trim();
        string hostPart, portPart = "*";
        if (trimmed.StartsWith('['))
        {
            int close = trimmed.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) throw Bad(text, "an opening '[' without its ']'");
            hostPart = trimmed[1..close];
            var rest = trimmed[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':') throw Bad(text, "after ']' comes ':PORT' or nothing");
                portPart = rest[1..];
            }
        }
        else
        {
            int colons = trimmed.Count(c => c == ':');
            if (colons == 1)
            {
                int colon = trimmed.IndexOf(':', StringComparison.Ordinal);
                hostPart = trimmed[..colon];
                portPart = trimmed[(colon + 1)..];
            }
            else
            {
                // No colon: any port. Several: a bare IPv6 address or block, any port (brackets are needed to add one).
                hostPart = trimmed;
            }
        }
        return new Pattern(trimmed, ParseHost(text, hostPart), ParsePorts(text, portPart));
    }

    private static HostPattern ParseHost(string text, string host)
    {
        if (host == "*") return new HostPattern(Any: true, null, null);
        if (host.Contains('/', StringComparison.Ordinal))
        {
            if (!IPNetwork.TryParse(host, out var network)) throw Bad(text, $"'{host}' is not a CIDR block such as 10.0.0.0/8 or fd00::/8");
            return new HostPattern(false, network, null);
        }
        if (IPAddress.TryParse(host, out var address))
        {
            if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
            return new HostPattern(false, new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128), null);
        }
        var name = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        if (name.Length is 0 or > 253 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')) || name.StartsWith('.') || name.EndsWith('.'))
        {
            throw Bad(text, $"'{host}' is not a host name, address, CIDR block or '*'");
        }
        return new HostPattern(false, null, host.ToLowerInvariant());
    }

    private static PortRange ParsePorts(string text, string ports)
    {
        if (ports is "*" or "") return new PortRange(1, 65535);
        int dash = ports.IndexOf('-', StringComparison.Ordinal);
        string low = dash < 0 ? ports : ports[..dash], high = dash < 0 ? ports : ports[(dash + 1)..];
        if (!int.TryParse(low, NumberStyles.None, CultureInfo.InvariantCulture, out int from) || !int.TryParse(high, NumberStyles.None, CultureInfo.InvariantCulture, out int to)
            || from is < 1 or > 65535 || to is < 1 or > 65535 || from > to)
        {
            throw Bad(text, $"'{ports}' is not a port (1-65535), a range such as 8000-8999, or '*'");
        }
        return new PortRange(from, to);
    }

    private static FormatException Bad(string text, string why) =>
        new($"--forward-to '{text}': {why} (patterns are HOST:PORT, e.g. db.internal:5432, 10.0.0.0/8:*, [::1]:8080, *.internal:443)");

    private readonly record struct PortRange(int From, int To)
    {
        public bool Contains(int port) => port >= From && port <= To;
    }

    private sealed record HostPattern(bool Any, IPNetwork? Network, string? Name);

    private sealed record Pattern(string Text, HostPattern Host, PortRange Ports)
    {
        public bool MatchesName(string host)
        {
            if (Host.Any) return true;
            if (Host.Name is not { } name) return false;
            host = host.TrimEnd('.').ToLowerInvariant();
            return name.StartsWith("*.", StringComparison.Ordinal)
                ? host.EndsWith(name[1..], StringComparison.Ordinal)
                : host == name;
        }

        public bool MatchesAddress(IPAddress address) => Host.Any || (Host.Network is { } network && network.Contains(address));
    }
}

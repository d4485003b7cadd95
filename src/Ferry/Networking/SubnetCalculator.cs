using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ferry.Networking;

/// <summary>
/// Parses "ADDRESS[/PREFIX]" (and an optional dotted or IPv6-style mask) into a <see cref="Subnet"/>. Pure: no I/O,
/// no DNS. Errors are one sentence that says what was wrong and what a correct value looks like.
/// </summary>
public static class SubnetCalculator
{
    private const string Examples = "e.g. 192.168.1.10/24 or 2001:db8::1/64";

    /// <summary>The subnet of <paramref name="address"/> under a <paramref name="prefix"/>-bit mask.</summary>
    public static Subnet Calculate(IPAddress address, int prefix)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException("only IPv4 and IPv6 addresses have subnets", nameof(address));
        }
        int width = IPBits.Width(address.AddressFamily);
        ArgumentOutOfRangeException.ThrowIfNegative(prefix);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefix, width);
        return new Subnet(address, prefix, null);
    }

    /// <summary>
    /// Parses <paramref name="text"/> ("172.16.10.1/24", "2001:db8::1/64", "10.0.0.1") with an optional
    /// <paramref name="mask"/> ("255.255.255.0", "24", "/24", "ffff:ffff::"). Without either, IPv4 takes its
    /// classful default (RFC 791) and IPv6 /64, and the subnet says so in its notes.
    /// </summary>
    public static bool TryParse(string text, string? mask, [NotNullWhen(true)] out Subnet? subnet, [NotNullWhen(false)] out string? error)
    {
        subnet = null;
        text = text.Trim();
        string addressText = text;
        string? prefixText = null;
        int slash = text.IndexOf('/');
        if (slash >= 0)
        {
            addressText = text[..slash];
            prefixText = text[(slash + 1)..];
        }
        if (!TryParseAddress(addressText, out var address, out error)) return false;
        int width = IPBits.Width(address.AddressFamily);
        if (prefixText is not null && mask is not null)
        {
            error = $"'{text}' already has a prefix; give /PREFIX or --mask, not both";
            return false;
        }
        if (prefixText is not null)
        {
            if (!TryParsePrefix(prefixText, width, out int prefix, out error)) return false;
            subnet = new Subnet(address, prefix, null);
            return true;
        }
        if (mask is not null)
        {
            if (!TryParseMask(mask, address.AddressFamily, out int prefix, out error)) return false;
            subnet = new Subnet(address, prefix, null);
            return true;
        }
        var (assumed, why) = DefaultPrefix(address);
        subnet = new Subnet(address, assumed, $"no prefix given: assumed /{assumed} ({why}); write {address}/N to say which");
        return true;
    }

    /// <summary>
    /// Parses one address strictly: IPv4 must be four decimal parts 0-255 without leading zeros (which some tools
    /// read as octal); IPv6 in any RFC 4291 text form, without a zone (%eth0) or brackets.
    /// </summary>
    public static bool TryParseAddress(string text, [NotNullWhen(true)] out IPAddress? address, [NotNullWhen(false)] out string? error)
    {
        address = null;
        error = null;
        if (text.Length == 0)
        {
            error = $"an address is missing ({Examples})";
            return false;
        }
        if (text.Contains(':', StringComparison.Ordinal))
        {
            if (text.Contains('%', StringComparison.Ordinal))
            {
                error = $"'{text}': drop the zone (%...) — it names an interface, not part of the subnet";
                return false;
            }
            if (text.Contains('[', StringComparison.Ordinal) || !IPAddress.TryParse(text, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"'{text}' is not an IPv6 address (eight groups of up to 4 hex digits, '::' once for zeros; {Examples})";
                return false;
            }
            address = v6;
            return true;
        }
        return TryParseIPv4(text, out address, out error);
    }

    /// <summary>The special-purpose ranges <paramref name="address"/> belongs to.</summary>
    public static AddressKinds KindsOf(IPAddress address)
    {
        var kinds = AddressKinds.None;
        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168)) kinds |= AddressKinds.Private;
            if (b[0] == 127) kinds |= AddressKinds.Loopback;
            if (b[0] == 169 && b[1] == 254) kinds |= AddressKinds.LinkLocal;
            if ((b[0] & 0xF0) == 224) kinds |= AddressKinds.Multicast;
            if ((b[0] == 192 && b[1] == 0 && b[2] == 2) || (b[0] == 198 && b[1] == 51 && b[2] == 100) || (b[0] == 203 && b[1] == 0 && b[2] == 113))
            {
                kinds |= AddressKinds.Documentation;
            }
            if (b[0] == 100 && (b[1] & 0xC0) == 64) kinds |= AddressKinds.Shared;
            if (b.All(x => x == 0)) kinds |= AddressKinds.Unspecified;
            return kinds;
        }
        if ((b[0] & 0xFE) == 0xFC) kinds |= AddressKinds.Private;
        if (address.Equals(IPAddress.IPv6Loopback)) kinds |= AddressKinds.Loopback;
        if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) kinds |= AddressKinds.LinkLocal;
        if (b[0] == 0xFF) kinds |= AddressKinds.Multicast;
        if ((b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) || (b[0] == 0x3F && b[1] == 0xFF && (b[2] & 0xF0) == 0))
        {
            kinds |= AddressKinds.Documentation;
        }
        if (address.Equals(IPAddress.IPv6None)) kinds |= AddressKinds.Unspecified;
        return kinds;
    }

    /// <summary>The classful-era class of an IPv4 address from its leading bits (0, 10, 110, 1110, 1111); null for IPv6.</summary>
    public static char? ClassOf(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork) return null;
        byte first = address.GetAddressBytes()[0];
        return first switch
        {
            < 128 => 'A',
            < 192 => 'B',
            < 224 => 'C',
            < 240 => 'D',
            _ => 'E',
        };
    }

    private static bool TryParseIPv4(string text, [NotNullWhen(true)] out IPAddress? address, [NotNullWhen(false)] out string? error)
    {
        address = null;
        if (text.Any(c => c is not ('.' or (>= '0' and <= '9'))))
        {
            error = $"'{text}' is not an IP address ({Examples})";
            return false;
        }
        var parts = text.Split('.');
        if (parts.Length != 4)
        {
            error = $"'{text}' is not an IPv4 address: it needs four parts separated by dots, like 172.16.10.1";
            return false;
        }
        var bytes = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            var part = parts[i];
            if (part.Length == 0 || part.Length > 3)
            {
                error = $"'{text}' is not an IPv4 address: each part is a number 0-255, like 172.16.10.1";
                return false;
            }
            if (part.Length > 1 && part[0] == '0')
            {
                error = $"'{text}': leading zeros are ambiguous (some tools read them as octal); write {string.Join('.', parts.Select(p => p.TrimStart('0') is { Length: > 0 } t ? t : "0"))}";
                return false;
            }
            int value = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
            if (value > 255)
            {
                error = $"'{text}' is not an IPv4 address: {value} is above 255 (each part is 0-255)";
                return false;
            }
            bytes[i] = (byte)value;
        }
        address = new IPAddress(bytes);
        error = null;
        return true;
    }

    private static bool TryParsePrefix(string text, int width, out int prefix, [NotNullWhen(false)] out string? error)
    {
        prefix = -1;
        string family = width == 32 ? "IPv4" : "IPv6";
        if (text.Length == 0 || text.Length > 3 || !text.All(char.IsAsciiDigit))
        {
            error = $"'/{text}' is not a prefix length: write a number of network bits, 0-{width} for {family} (e.g. /24)";
            return false;
        }
        prefix = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        if (prefix > width)
        {
            error = $"prefix /{prefix} is too long: an {family} address has {width} bits, so the prefix is 0-{width}";
            return false;
        }
        error = null;
        return true;
    }

    private static bool TryParseMask(string text, AddressFamily family, out int prefix, [NotNullWhen(false)] out string? error)
    {
        prefix = -1;
        int width = IPBits.Width(family);
        text = text.Trim();
        if (text.StartsWith('/') || text.All(char.IsAsciiDigit))
        {
            return TryParsePrefix(text.TrimStart('/'), width, out prefix, out error);
        }
        if (!TryParseAddress(text, out var mask, out error))
        {
            error = $"mask: {error}";
            return false;
        }
        if (mask.AddressFamily != family)
        {
            error = $"mask {text} is {Name(mask.AddressFamily)} but the address is {Name(family)}; use /PREFIX instead";
            return false;
        }
        var number = IPBits.ToNumber(mask);
        prefix = IPBits.PrefixOf(number, width);
        if (prefix < 0)
        {
            int ones = 0;
            while (ones < width && ((number >> (width - 1 - ones)) & 1) == 1) ones++;
            var nearest = IPBits.ToAddress(IPBits.Mask(ones, width), width);
            error = $"mask {text} is not contiguous: a mask is ones then zeros, and this one has a 1 after a 0 (did you mean {nearest}, /{ones}?)";
            return false;
        }
        error = null;
        return true;
    }

    private static (int Prefix, string Why) DefaultPrefix(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var kinds = KindsOf(address);
            if ((kinds & (AddressKinds.Loopback | AddressKinds.Unspecified | AddressKinds.Multicast)) != 0) return (128, "a single address");
            return (64, "the usual IPv6 subnet size, RFC 4291");
        }
        return ClassOf(address) switch
        {
            'A' => (8, "class A's classful mask"),
            'B' => (16, "class B's classful mask"),
            'C' => (24, "class C's classful mask"),
            _ => (32, "class D and E have no classful mask, so a single address"),
        };
    }

    private static string Name(AddressFamily family) => family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
}

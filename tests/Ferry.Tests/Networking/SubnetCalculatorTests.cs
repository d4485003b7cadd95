using System.Net;
using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using Ferry.Networking;

namespace Ferry.Tests.Networking;

/// <summary>
/// A table of subnets worked out by hand (RFC 950 network/broadcast, RFC 3021 /31, RFC 4291 IPv6 with no broadcast
/// and the Subnet-Router anycast, RFC 6164 /127), every class of bad input, and properties of the AND itself.
/// </summary>
public class SubnetCalculatorTests
{
    /// <summary>One hand-checked row. Broadcast "-" means none; Class "-" means none (IPv6).</summary>
    public sealed record Row(
        string Input, string? Mask, int Prefix, bool Assumed, string Network, string Broadcast,
        string First, string Last, string Usable, string Class, AddressKinds Kinds, string? MaskText = null, string? Wildcard = null)
    {
        public override string ToString() => Mask is null ? Input : $"{Input} --mask {Mask}";
    }

    private const AddressKinds None = AddressKinds.None;
    private const AddressKinds Priv = AddressKinds.Private;
    private const AddressKinds Doc = AddressKinds.Documentation;

    public static TheoryData<Row> Valid() =>
    [
        // IPv4, the course's example and the everyday prefixes.
        new("172.16.10.1/24", null, 24, false, "172.16.10.0", "172.16.10.255", "172.16.10.1", "172.16.10.254", "254", "B", Priv, "255.255.255.0", "0.0.0.255"),
        new("172.16.10.1", "255.255.255.0", 24, false, "172.16.10.0", "172.16.10.255", "172.16.10.1", "172.16.10.254", "254", "B", Priv),
        new("192.168.1.130/25", null, 25, false, "192.168.1.128", "192.168.1.255", "192.168.1.129", "192.168.1.254", "126", "C", Priv, "255.255.255.128", "0.0.0.127"),
        new("10.1.2.3/8", null, 8, false, "10.0.0.0", "10.255.255.255", "10.0.0.1", "10.255.255.254", "16777214", "A", Priv, "255.0.0.0", "0.255.255.255"),
        new("10.1.2.3", null, 8, true, "10.0.0.0", "10.255.255.255", "10.0.0.1", "10.255.255.254", "16777214", "A", Priv),
        new("130.1.2.3", null, 16, true, "130.1.0.0", "130.1.255.255", "130.1.0.1", "130.1.255.254", "65534", "B", None),
        new("200.1.2.3", null, 24, true, "200.1.2.0", "200.1.2.255", "200.1.2.1", "200.1.2.254", "254", "C", None),
        new("192.0.2.77/26", null, 26, false, "192.0.2.64", "192.0.2.127", "192.0.2.65", "192.0.2.126", "62", "C", Doc, "255.255.255.192", "0.0.0.63"),
        new("198.51.100.5/30", null, 30, false, "198.51.100.4", "198.51.100.7", "198.51.100.5", "198.51.100.6", "2", "C", Doc, "255.255.255.252", "0.0.0.3"),
        // RFC 3021: a /31 has two hosts and no broadcast; a /32 is one host.
        new("203.0.113.9/31", null, 31, false, "203.0.113.8", "-", "203.0.113.8", "203.0.113.9", "2", "C", Doc, "255.255.255.254", "0.0.0.1"),
        new("203.0.113.8/31", null, 31, false, "203.0.113.8", "-", "203.0.113.8", "203.0.113.9", "2", "C", Doc),
        new("203.0.113.9/32", null, 32, false, "203.0.113.9", "-", "203.0.113.9", "203.0.113.9", "1", "C", Doc, "255.255.255.255", "0.0.0.0"),
        new("0.0.0.0/0", null, 0, false, "0.0.0.0", "255.255.255.255", "0.0.0.1", "255.255.255.254", "4294967294", "A", AddressKinds.Unspecified, "0.0.0.0", "255.255.255.255"),
        new("1.2.3.4/1", null, 1, false, "0.0.0.0", "127.255.255.255", "0.0.0.1", "127.255.255.254", "2147483646", "A", None, "128.0.0.0"),
        new("127.0.0.1/8", null, 8, false, "127.0.0.0", "127.255.255.255", "127.0.0.1", "127.255.255.254", "16777214", "A", AddressKinds.Loopback),
        new("169.254.10.20/16", null, 16, false, "169.254.0.0", "169.254.255.255", "169.254.0.1", "169.254.255.254", "65534", "B", AddressKinds.LinkLocal),
        new("224.0.0.251", null, 32, true, "224.0.0.251", "-", "224.0.0.251", "224.0.0.251", "1", "D", AddressKinds.Multicast),
        new("239.255.255.250/4", null, 4, false, "224.0.0.0", "239.255.255.255", "224.0.0.1", "239.255.255.254", "268435454", "D", AddressKinds.Multicast, "240.0.0.0"),
        new("100.64.1.1/10", null, 10, false, "100.64.0.0", "100.127.255.255", "100.64.0.1", "100.127.255.254", "4194302", "A", AddressKinds.Shared, "255.192.0.0"),
        new("100.128.0.1/10", null, 10, false, "100.128.0.0", "100.191.255.255", "100.128.0.1", "100.191.255.254", "4194302", "A", None),
        new("172.31.255.255/12", null, 12, false, "172.16.0.0", "172.31.255.255", "172.16.0.1", "172.31.255.254", "1048574", "B", Priv, "255.240.0.0", "0.15.255.255"),
        new("172.32.0.1/12", null, 12, false, "172.32.0.0", "172.47.255.255", "172.32.0.1", "172.47.255.254", "1048574", "B", None),
        new("8.8.8.8/24", null, 24, false, "8.8.8.0", "8.8.8.255", "8.8.8.1", "8.8.8.254", "254", "A", None),
        new("192.168.0.1/16", null, 16, false, "192.168.0.0", "192.168.255.255", "192.168.0.1", "192.168.255.254", "65534", "C", Priv),
        new("240.0.0.1", null, 32, true, "240.0.0.1", "-", "240.0.0.1", "240.0.0.1", "1", "E", None),
        new("255.255.255.255/32", null, 32, false, "255.255.255.255", "-", "255.255.255.255", "255.255.255.255", "1", "E", None),
        new("10.20.30.40", "255.255.240.0", 20, false, "10.20.16.0", "10.20.31.255", "10.20.16.1", "10.20.31.254", "4094", "A", Priv, "255.255.240.0", "0.0.15.255"),
        new("10.20.30.40", "20", 20, false, "10.20.16.0", "10.20.31.255", "10.20.16.1", "10.20.31.254", "4094", "A", Priv),
        new("10.20.30.40", "/20", 20, false, "10.20.16.0", "10.20.31.255", "10.20.16.1", "10.20.31.254", "4094", "A", Priv),
        new("192.168.5.77", "255.255.255.255", 32, false, "192.168.5.77", "-", "192.168.5.77", "192.168.5.77", "1", "C", Priv),
        new("192.168.5.77", "0.0.0.0", 0, false, "0.0.0.0", "255.255.255.255", "0.0.0.1", "255.255.255.254", "4294967294", "C", Priv),
        // IPv6: no broadcast; the all-zeros address is the Subnet-Router anycast (RFC 4291 §2.6.1); /127 per RFC 6164.
        new("2001:db8::1/64", null, 64, false, "2001:db8::", "-", "2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff", "18446744073709551615", "-", Doc, "ffff:ffff:ffff:ffff::", "::ffff:ffff:ffff:ffff"),
        new("2001:db8::1", null, 64, true, "2001:db8::", "-", "2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff", "18446744073709551615", "-", Doc),
        new("2001:db8:abcd:12::1/127", null, 127, false, "2001:db8:abcd:12::", "-", "2001:db8:abcd:12::", "2001:db8:abcd:12::1", "2", "-", Doc, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"),
        new("2001:db8::5/128", null, 128, false, "2001:db8::5", "-", "2001:db8::5", "2001:db8::5", "1", "-", Doc, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::"),
        new("2001:db8:1:2:3:4:5:6/112", null, 112, false, "2001:db8:1:2:3:4:5:0", "-", "2001:db8:1:2:3:4:5:1", "2001:db8:1:2:3:4:5:ffff", "65535", "-", Doc),
        new("2001:db8::1", "ffff:ffff:ffff:ff00::", 56, false, "2001:db8::", "-", "2001:db8::1", "2001:db8:0:ff:ffff:ffff:ffff:ffff", "4722366482869645213695", "-", Doc),
        new("::1/128", null, 128, false, "::1", "-", "::1", "::1", "1", "-", AddressKinds.Loopback),
        new("::1", null, 128, true, "::1", "-", "::1", "::1", "1", "-", AddressKinds.Loopback),
        new("::/0", null, 0, false, "::", "-", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "340282366920938463463374607431768211455", "-", AddressKinds.Unspecified, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        new("fe80::1ff:fe23:4567:890a/64", null, 64, false, "fe80::", "-", "fe80::1", "fe80::ffff:ffff:ffff:ffff", "18446744073709551615", "-", AddressKinds.LinkLocal),
        new("fd12:3456:789a:1::1/48", null, 48, false, "fd12:3456:789a::", "-", "fd12:3456:789a::1", "fd12:3456:789a:ffff:ffff:ffff:ffff:ffff", "1208925819614629174706175", "-", Priv),
        new("ff02::1", null, 128, true, "ff02::1", "-", "ff02::1", "ff02::1", "1", "-", AddressKinds.Multicast),
        new("3fff::1/20", null, 20, false, "3fff::", "-", "3fff::1", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "324518553658426726783156020576255", "-", Doc),
        new("2606:4700::1111/32", null, 32, false, "2606:4700::", "-", "2606:4700::1", "2606:4700:ffff:ffff:ffff:ffff:ffff:ffff", "79228162514264337593543950335", "-", None, "ffff:ffff::"),
        new("2001:DB8::A/126", null, 126, false, "2001:db8::8", "-", "2001:db8::9", "2001:db8::b", "3", "-", Doc),
    ];

    [Theory]
    [MemberData(nameof(Valid))]
    public void HandCheckedSubnets(Row row)
    {
        Assert.True(SubnetCalculator.TryParse(row.Input, row.Mask, out var s, out var error), error);
        Assert.Equal(row.Prefix, s.Prefix);
        Assert.Equal(row.Assumed, s.PrefixAssumed);
        Assert.Equal(IPAddress.Parse(row.Network), s.Network);
        if (row.Broadcast == "-") Assert.Null(s.Broadcast);
        else Assert.Equal(IPAddress.Parse(row.Broadcast), s.Broadcast);
        Assert.Equal(IPAddress.Parse(row.First), s.FirstUsable);
        Assert.Equal(IPAddress.Parse(row.Last), s.LastUsable);
        Assert.Equal(BigInteger.Parse(row.Usable, System.Globalization.CultureInfo.InvariantCulture), s.UsableHosts);
        Assert.Equal(row.Class == "-" ? null : row.Class[0], s.Class);
        Assert.Equal(row.Kinds, s.Kinds);
        if (row.MaskText is not null) Assert.Equal(IPAddress.Parse(row.MaskText), s.Mask);
        if (row.Wildcard is not null) Assert.Equal(IPAddress.Parse(row.Wildcard), s.Wildcard);
        Assert.Equal(BigInteger.One << (s.Width - s.Prefix), s.Addresses);
        Assert.True(s.Contains(s.Address));
    }

    public static TheoryData<string, string?, string> Invalid() => new()
    {
        { "300.1.1.1", null, "300 is above 255" },
        { "1.2.3.256/24", null, "256 is above 255" },
        { "1.2.3.4/33", null, "0-32" },
        { "2001:db8::1/129", null, "0-128" },
        { "10.0.0.1", "255.0.255.0", "not contiguous" },
        { "10.0.0.1", "0.255.255.255", "not contiguous" },
        { "10.0.0.1", "255.255.255.256", "above 255" },
        { "10.0.0.1", "33", "0-32" },
        { "hello", null, "is not an IP address" },
        { "1.2.3", null, "four parts" },
        { "1.2.3.4.5", null, "four parts" },
        { "1..2.3", null, "each part is a number" },
        { "010.0.0.1", null, "leading zeros" },
        { "1.2.3.4/", null, "not a prefix length" },
        { "1.2.3.4/abc", null, "not a prefix length" },
        { "1.2.3.4/-1", null, "not a prefix length" },
        { "1.2.3.4/24", "255.0.0.0", "not both" },
        { "2001:db8::1", "255.255.255.0", "is IPv4 but the address is IPv6" },
        { "2001:::1", null, "not an IPv6 address" },
        { "gg::1/64", null, "not an IPv6 address" },
        { "fe80::1%eth0", null, "zone" },
        { "", null, "missing" },
        { "[::1]/128", null, "not an IPv6 address" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void BadInputIsRefusedWithAReason(string input, string? mask, string reason)
    {
        Assert.False(SubnetCalculator.TryParse(input, mask, out var subnet, out var error));
        Assert.Null(subnet);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void TheCoursesTwoHostsShareASubnetAndAThirdDoesNot()
    {
        var s = SubnetCalculator.Calculate(IPAddress.Parse("172.16.10.1"), 24);
        Assert.True(s.Contains(IPAddress.Parse("172.16.10.2")));
        Assert.False(s.Contains(IPAddress.Parse("172.16.11.2")));
        Assert.Equal(IPAddress.Parse("172.16.11.0"), s.NetworkOf(IPAddress.Parse("172.16.11.2")));
        Assert.False(s.Contains(IPAddress.Parse("::1")));
    }

    [Fact]
    public void BinaryShowsTheBoundary()
    {
        var s = SubnetCalculator.Calculate(IPAddress.Parse("172.16.10.1"), 24);
        Assert.Equal(("10101100.00010000.00001010", "00000001"), s.Binary(s.Address));
        var odd = SubnetCalculator.Calculate(IPAddress.Parse("192.168.1.130"), 26);
        Assert.Equal(("11000000.10101000.00000001.10", "000010"), odd.Binary(odd.Address));
        Assert.Equal(("11111111.11111111.11111111.11", "000000"), odd.Binary(odd.Mask));
        var all = SubnetCalculator.Calculate(IPAddress.Parse("10.0.0.1"), 32);
        Assert.Equal(("00001010.00000000.00000000.00000001", ""), all.Binary(all.Address));
        var none = SubnetCalculator.Calculate(IPAddress.Parse("10.0.0.1"), 0);
        Assert.Equal(("", "00001010.00000000.00000000.00000001"), none.Binary(none.Address));
        var v6 = SubnetCalculator.Calculate(IPAddress.Parse("2001:db8::1"), 32);
        var (network, host) = v6.Binary(v6.Address);
        Assert.Equal("0010000000000001:0000110110111000", network);
        Assert.Equal(16 * 6 + 5, host.Length);
    }

    [Fact]
    public void EdgePrefixesCarryTheirRfcNote()
    {
        Assert.Contains(SubnetCalculator.Calculate(IPAddress.Parse("10.0.0.0"), 31).Notes, n => n.Contains("RFC 3021", StringComparison.Ordinal));
        Assert.Contains(SubnetCalculator.Calculate(IPAddress.Parse("2001:db8::"), 127).Notes, n => n.Contains("RFC 6164", StringComparison.Ordinal));
        Assert.Contains(SubnetCalculator.Calculate(IPAddress.Parse("2001:db8::"), 64).Notes, n => n.Contains("RFC 4291", StringComparison.Ordinal));
        Assert.Empty(SubnetCalculator.Calculate(IPAddress.Parse("10.0.0.0"), 24).Notes);
    }

    [Fact]
    public void TheAndObeysItsLawsForEveryIPv4AddressAndPrefix()
    {
        var gen =
            from a in Gen.Choose(0, 255)
            from b in Gen.Choose(0, 255)
            from c in Gen.Choose(0, 255)
            from d in Gen.Choose(0, 255)
            from prefix in Gen.Choose(0, 32)
            select (new IPAddress(new[] { (byte)a, (byte)b, (byte)c, (byte)d }), prefix);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var (address, prefix) = t;
            var s = SubnetCalculator.Calculate(address, prefix);
            Assert.True(s.Contains(address));
            Assert.True(s.Contains(s.Network) && s.Contains(s.FirstUsable) && s.Contains(s.LastUsable));
            Assert.Equal(s.Network, s.NetworkOf(s.LastUsable));
            // The text form of the mask parses back to the same prefix, and its wildcard is its complement.
            Assert.True(SubnetCalculator.TryParse(address.ToString(), s.Mask.ToString(), out var again, out _));
            Assert.Equal(prefix, again.Prefix);
            var mask = s.Mask.GetAddressBytes();
            var wildcard = s.Wildcard.GetAddressBytes();
            Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(255, mask[i] | wildcard[i]));
            Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(0, mask[i] & wildcard[i]));
            BigInteger first = ToNumber(s.FirstUsable), last = ToNumber(s.LastUsable);
            Assert.Equal(s.UsableHosts, last - first + 1);
            if (s.Broadcast is { } broadcast) Assert.Equal(ToNumber(s.Network) + s.Addresses - 1, ToNumber(broadcast));
            else Assert.True(prefix >= 31);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void EveryNonContiguousMaskIsRefused()
    {
        Prop.ForAll(Gen.Choose(int.MinValue, int.MaxValue).ToArbitrary(), raw =>
        {
            uint value = unchecked((uint)raw);
            var mask = new IPAddress(new[] { (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value });
            bool contiguous = Enumerable.Range(0, 33).Any(p => (p == 0 ? 0u : uint.MaxValue << (32 - p)) == value);
            Assert.Equal(contiguous, SubnetCalculator.TryParse("10.0.0.1", mask.ToString(), out _, out _));
        }).QuickCheckThrowOnFailure();
    }

    private static BigInteger ToNumber(IPAddress address) => new(address.GetAddressBytes(), isUnsigned: true, isBigEndian: true);
}

using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace Ferry.Networking;

/// <summary>
/// One address with its prefix, and everything that follows from "address AND mask = network".
/// Built by <see cref="SubnetCalculator"/>; immutable, no I/O.
/// </summary>
public sealed class Subnet
{
    private readonly UInt128 _mask;

    internal Subnet(IPAddress address, int prefix, string? assumption)
    {
        Address = address;
        Prefix = prefix;
        PrefixAssumed = assumption is not null;
        Width = IPBits.Width(address.AddressFamily);
        _mask = IPBits.Mask(prefix, Width);
        UInt128 network = IPBits.ToNumber(address) & _mask;
        UInt128 last = network | (IPBits.AllOnes(Width) ^ _mask);
        int hostBits = Width - prefix;
        Addresses = BigInteger.One << hostBits;
        var notes = new List<string>();
        if (assumption is not null) notes.Add(assumption);
        if (hostBits == 0)
        {
            // A single address: it is the one host (a loopback or host route).
            FirstHost = network;
            LastHost = network;
            UsableHosts = 1;
            notes.Add($"/{prefix}: a single address, one host (a host route)");
        }
        else if (hostBits == 1)
        {
            // RFC 3021 (IPv4) and RFC 6164 (IPv6): on a point-to-point /31 or /127 both addresses are hosts.
            FirstHost = network;
            LastHost = last;
            UsableHosts = 2;
            notes.Add(IsIPv4
                ? "/31: a point-to-point link, both addresses are hosts and there is no broadcast (RFC 3021)"
                : "/127: a point-to-point link, both addresses are hosts (RFC 6164)");
        }
        else if (IsIPv4)
        {
            // The all-zeros host part names the network and the all-ones one is the broadcast (RFC 950).
            FirstHost = network + 1;
            LastHost = last - 1;
            UsableHosts = Addresses - 2;
            BroadcastNumber = last;
        }
        else
        {
            // IPv6 has no broadcast; the all-zeros interface ID is the Subnet-Router anycast (RFC 4291 §2.6.1).
            FirstHost = network + 1;
            LastHost = last;
            UsableHosts = Addresses - 1;
            notes.Add("IPv6 has no broadcast; the first address is the Subnet-Router anycast, so hosts start at the second (RFC 4291 section 2.6.1)");
        }
        NetworkNumber = network;
        Kinds = SubnetCalculator.KindsOf(address);
        Class = SubnetCalculator.ClassOf(address);
        Notes = notes;
    }

    /// <summary>The address as given.</summary>
    public IPAddress Address { get; }

    /// <summary>The prefix length: how many leading bits name the network.</summary>
    public int Prefix { get; }

    /// <summary>True when no prefix or mask was given and a default was assumed (classful for IPv4, /64 for IPv6).</summary>
    public bool PrefixAssumed { get; }

    /// <summary>Address width in bits: 32 or 128.</summary>
    public int Width { get; }

    /// <summary>True for IPv4.</summary>
    public bool IsIPv4 => Width == 32;

    /// <summary>The address family.</summary>
    public AddressFamily Family => Address.AddressFamily;

    /// <summary>The mask, written like an address (255.255.255.0, ffff:ffff:ffff:ffff::).</summary>
    public IPAddress Mask => IPBits.ToAddress(_mask, Width);

    /// <summary>The inverted mask (0.0.0.255), as ACLs write it.</summary>
    public IPAddress Wildcard => IPBits.ToAddress(IPBits.AllOnes(Width) ^ _mask, Width);

    /// <summary>Address AND mask.</summary>
    public IPAddress Network => IPBits.ToAddress(NetworkNumber, Width);

    /// <summary>The directed broadcast (IPv4 with 30 or fewer prefix bits); null otherwise.</summary>
    public IPAddress? Broadcast => BroadcastNumber is { } b ? IPBits.ToAddress(b, Width) : null;

    /// <summary>The first address a host may use.</summary>
    public IPAddress FirstUsable => IPBits.ToAddress(FirstHost, Width);

    /// <summary>The last address a host may use.</summary>
    public IPAddress LastUsable => IPBits.ToAddress(LastHost, Width);

    /// <summary>All addresses in the subnet: 2^(width − prefix).</summary>
    public BigInteger Addresses { get; }

    /// <summary>Addresses a host may use (see the notes for why it differs from <see cref="Addresses"/>).</summary>
    public BigInteger UsableHosts { get; }

    /// <summary>The historical class A–E of an IPv4 address (RFC 791); null for IPv6.</summary>
    public char? Class { get; }

    /// <summary>The special-purpose ranges the address is in.</summary>
    public AddressKinds Kinds { get; }

    /// <summary>Short explanations of anything unusual (edge prefixes, assumed prefix, IPv6 rules).</summary>
    public IReadOnlyList<string> Notes { get; }

    private UInt128 NetworkNumber { get; }

    private UInt128? BroadcastNumber { get; }

    private UInt128 FirstHost { get; }

    private UInt128 LastHost { get; }

    /// <summary>True when <paramref name="other"/> AND this mask equals this network: the same LAN, no router needed.</summary>
    public bool Contains(IPAddress other) =>
        other.AddressFamily == Family && (IPBits.ToNumber(other) & _mask) == NetworkNumber;

    /// <summary>The network <paramref name="other"/> is on under this mask.</summary>
    public IPAddress NetworkOf(IPAddress other)
    {
        if (other.AddressFamily != Family) throw new ArgumentException($"{other} is not the same address family as {Address}", nameof(other));
        return IPBits.ToAddress(IPBits.ToNumber(other) & _mask, Width);
    }

    /// <summary><paramref name="value"/> in binary, split at this subnet's network/host boundary (for showing the AND).</summary>
    public (string NetworkBits, string HostBits) Binary(IPAddress value)
    {
        if (value.AddressFamily != Family) throw new ArgumentException($"{value} is not the same address family as {Address}", nameof(value));
        return IPBits.Binary(IPBits.ToNumber(value), Width, Prefix);
    }

    /// <summary>CIDR notation of the network: 172.16.10.0/24.</summary>
    public override string ToString() => $"{Network}/{Prefix}";
}

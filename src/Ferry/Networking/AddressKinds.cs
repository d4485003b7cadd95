namespace Ferry.Networking;

/// <summary>The special-purpose ranges an address can fall in (RFC 6890 registries, the ones people meet).</summary>
[Flags]
public enum AddressKinds
{
    /// <summary>An ordinary (global) address.</summary>
    None = 0,

    /// <summary>RFC 1918 (10/8, 172.16/12, 192.168/16) or IPv6 unique local fc00::/7 (RFC 4193).</summary>
    Private = 1,

    /// <summary>127/8 or ::1.</summary>
    Loopback = 2,

    /// <summary>169.254/16 (RFC 3927) or fe80::/10.</summary>
    LinkLocal = 4,

    /// <summary>224/4 (class D) or ff00::/8.</summary>
    Multicast = 8,

    /// <summary>192.0.2/24, 198.51.100/24, 203.0.113/24 (RFC 5737), 2001:db8::/32 (RFC 3849), 3fff::/20 (RFC 9637).</summary>
    Documentation = 16,

    /// <summary>100.64/10, carrier-grade NAT (RFC 6598).</summary>
    Shared = 32,

    /// <summary>0.0.0.0 or ::.</summary>
    Unspecified = 64,
}

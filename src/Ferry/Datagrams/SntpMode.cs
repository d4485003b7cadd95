namespace Ferry.Datagrams;

/// <summary>The association mode in an NTP packet's first byte (RFC 5905 §7.3).</summary>
public enum SntpMode : byte
{
    /// <summary>Reserved.</summary>
    Reserved = 0,
    /// <summary>Symmetric active (peering).</summary>
    SymmetricActive = 1,
    /// <summary>Symmetric passive (peering).</summary>
    SymmetricPassive = 2,
    /// <summary>A client request.</summary>
    Client = 3,
    /// <summary>A server reply.</summary>
    Server = 4,
    /// <summary>Broadcast.</summary>
    Broadcast = 5,
    /// <summary>NTP control message (not SNTP).</summary>
    Control = 6,
    /// <summary>Reserved for private use.</summary>
    Private = 7,
}

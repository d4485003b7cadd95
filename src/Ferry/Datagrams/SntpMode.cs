namespace Ferry.Datagrams;

/// <summary>The association mode in an NTP packet's first byte (RFC 5905 §7.3).</summary>
public enum SntpMode : byte
{
    Reserved = 0,
    SymmetricActive = 1,
    SymmetricPassive = 2,
    Client = 3,
    Server = 4,
    Broadcast = 5,
    Control = 6,
    Private = 7,
}

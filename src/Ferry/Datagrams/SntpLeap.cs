namespace Ferry.Datagrams;

/// <summary>The leap indicator: a leap second at the end of today's last minute, or the clock is unsynchronized.</summary>
public enum SntpLeap : byte
{
    None = 0,
    InsertSecond = 1,
    DeleteSecond = 2,
    Unsynchronized = 3,
}

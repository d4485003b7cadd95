namespace Ferry.Datagrams;

/// <summary>The leap indicator: a leap second at the end of today's last minute, or the clock is unsynchronized.</summary>
public enum SntpLeap : byte
{
    /// <summary>No leap second pending.</summary>
    None = 0,
    /// <summary>The last minute of the day has 61 seconds.</summary>
    InsertSecond = 1,
    /// <summary>The last minute of the day has 59 seconds.</summary>
    DeleteSecond = 2,
    /// <summary>The clock is not synchronized (alarm).</summary>
    Unsynchronized = 3,
}

namespace Ferry.Datagrams;

/// <summary>
/// An NTP timestamp: seconds since 1900-01-01 UTC in 32.32 fixed point (a resolution of 233 picoseconds). The
/// seconds wrap every 2^32 s (136 years): era 1 starts 2036-02-07 06:28:16 UTC. The wire value does not say its
/// era, so converting back to a date needs a pivot; differences between two timestamps are era-independent as
/// long as they are less than 68 years apart (RFC 5905 §6).
/// </summary>
public readonly record struct NtpTimestamp(ulong Value)
{
    /// <summary>2^32 seconds in .NET ticks (100 ns).</summary>
    public const long TicksPerEra = (1L << 32) * TimeSpan.TicksPerSecond;

    /// <summary>1900-01-01 00:00:00 UTC, the start of era 0.</summary>
    public static readonly DateTime Era0 = new(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>2036-02-07 06:28:16 UTC, the start of era 1, where the seconds wrap to 0.</summary>
    public static readonly DateTime Era1 = Era0.AddTicks(TicksPerEra);

    /// <summary>Whole seconds since the era's start (1900 for era 0).</summary>
    public uint Seconds => (uint)(Value >> 32);

    /// <summary>The fraction of a second, in units of 2^-32 s.</summary>
    public uint Fraction => (uint)Value;

    /// <summary>Whether this is the zero timestamp, which NTP uses for "not set".</summary>
    public bool IsZero => Value == 0;

    /// <summary>The timestamp of a UTC instant, rounded to the nearest 2^-32 s; any era maps onto the wire's 64 bits.</summary>
    public static NtpTimestamp FromDateTime(DateTime utc)
    {
        long ticks = utc.Ticks - Era0.Ticks;
        Int128 numerator = ((Int128)ticks << 32) + TimeSpan.TicksPerSecond / 2;
        Int128 scaled = numerator / TimeSpan.TicksPerSecond;
        if (numerator < 0 && numerator % TimeSpan.TicksPerSecond != 0) scaled--; // floor, for dates before 1900
        return new NtpTimestamp(unchecked((ulong)(UInt128)scaled));
    }

    /// <summary>The instant in the era that puts it nearest to <paramref name="pivot"/> (for instance the local clock).</summary>
    public DateTime ToDateTime(DateTime pivot)
    {
        long inEra = (long)(((UInt128)Value * TimeSpan.TicksPerSecond + (1UL << 31)) >> 32);
        long pivotTicks = pivot.ToUniversalTime().Ticks - Era0.Ticks;
        long n = pivotTicks - inEra + TicksPerEra / 2;
        long era = n >= 0 ? n / TicksPerEra : -((-n + TicksPerEra - 1) / TicksPerEra);
        long ticks = Era0.Ticks + era * TicksPerEra + inEra;
        return new DateTime(Math.Clamp(ticks, DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc);
    }

    /// <summary>RFC 4330's rule without a pivot: seconds with the top bit set are 1968–2036, the rest 2036–2104.</summary>
    public DateTime ToDateTime() => ToDateTime((Seconds & 0x8000_0000) != 0 ? Era1.AddTicks(-TicksPerEra / 4) : Era1.AddTicks(TicksPerEra / 4));

    /// <summary>Signed difference, correct across an era boundary while the two are within 68 years.</summary>
    public static NtpDuration operator -(NtpTimestamp later, NtpTimestamp earlier) => new(unchecked((long)(later.Value - earlier.Value)));

    /// <summary>The timestamp moved later by <paramref name="duration"/> (wrapping at the era boundary).</summary>
    public static NtpTimestamp operator +(NtpTimestamp timestamp, NtpDuration duration) => new(unchecked(timestamp.Value + (ulong)duration.Raw));

    /// <summary>The timestamp moved earlier by <paramref name="duration"/> (wrapping at the era boundary).</summary>
    public static NtpTimestamp operator -(NtpTimestamp timestamp, NtpDuration duration) => new(unchecked(timestamp.Value - (ulong)duration.Raw));

    /// <summary>The raw value in hex and the UTC time it stands for.</summary>
    public override string ToString() => $"{Seconds:x8}.{Fraction:x8} ({ToDateTime():yyyy-MM-dd HH:mm:ss.fffffff} UTC)";
}

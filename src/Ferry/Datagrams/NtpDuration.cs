using System.Globalization;

namespace Ferry.Datagrams;

/// <summary>A signed span of time in NTP's units of 2^-32 seconds (about ±68 years at 233 ps resolution).</summary>
public readonly record struct NtpDuration(long Raw) : IComparable<NtpDuration>
{
    private const double UnitsPerSecond = 4294967296.0;

    /// <summary>No time at all.</summary>
    public static NtpDuration Zero => default;

    /// <summary>The duration in seconds.</summary>
    public double TotalSeconds => Raw / UnitsPerSecond;

    /// <summary>The duration in milliseconds.</summary>
    public double TotalMilliseconds => Raw * 1e3 / UnitsPerSecond;

    /// <summary>The duration in microseconds.</summary>
    public double TotalMicroseconds => Raw * 1e6 / UnitsPerSecond;

    /// <summary>Whole nanoseconds, rounded toward negative infinity.</summary>
    public long TotalNanoseconds => (long)(((Int128)Raw * 1_000_000_000) >> 32);

    /// <summary>A duration of <paramref name="seconds"/>, rounded to the nearest unit.</summary>
    public static NtpDuration FromSeconds(double seconds) => new((long)Math.Round(seconds * UnitsPerSecond));

    /// <summary>The same span in NTP units (exact to the tick).</summary>
    public static NtpDuration FromTimeSpan(TimeSpan span) => new((long)(((Int128)span.Ticks << 32) / TimeSpan.TicksPerSecond));

    /// <summary>The same span as a <see cref="TimeSpan"/>, rounded toward negative infinity to a tick.</summary>
    public TimeSpan ToTimeSpan() => TimeSpan.FromTicks((long)(((Int128)Raw * TimeSpan.TicksPerSecond) >> 32));

    /// <summary>Reads NTP's short format (unsigned 16.16 seconds: root delay and dispersion).</summary>
    public static NtpDuration FromShortFormat(uint value) => new((long)value << 16);

    /// <summary>NTP's short format, rounded up and clamped to its range (0 to 65536 s).</summary>
    public uint ToShortFormat() => Raw <= 0 ? 0 : (uint)Math.Min(uint.MaxValue, (Raw + 0xFFFF) >> 16);

    /// <summary>Half of the sum of two durations, exact (no overflow) and clamped to the range.</summary>
    public static NtpDuration Average(NtpDuration a, NtpDuration b) => new(Clamp(((Int128)a.Raw + b.Raw) / 2));

    /// <summary>The sum, clamped to the range.</summary>
    public static NtpDuration operator +(NtpDuration a, NtpDuration b) => new(Clamp((Int128)a.Raw + b.Raw));

    /// <summary>The difference, clamped to the range.</summary>
    public static NtpDuration operator -(NtpDuration a, NtpDuration b) => new(Clamp((Int128)a.Raw - b.Raw));

    /// <summary>The negation, clamped to the range.</summary>
    public static NtpDuration operator -(NtpDuration a) => new(Clamp(-(Int128)a.Raw));

    /// <summary>Whether <paramref name="a"/> is shorter than <paramref name="b"/>.</summary>
    public static bool operator <(NtpDuration a, NtpDuration b) => a.Raw < b.Raw;

    /// <summary>Whether <paramref name="a"/> is longer than <paramref name="b"/>.</summary>
    public static bool operator >(NtpDuration a, NtpDuration b) => a.Raw > b.Raw;

    /// <summary>Whether <paramref name="a"/> is at most <paramref name="b"/>.</summary>
    public static bool operator <=(NtpDuration a, NtpDuration b) => a.Raw <= b.Raw;

    /// <summary>Whether <paramref name="a"/> is at least <paramref name="b"/>.</summary>
    public static bool operator >=(NtpDuration a, NtpDuration b) => a.Raw >= b.Raw;

    /// <summary>Orders durations by length.</summary>
    public int CompareTo(NtpDuration other) => Raw.CompareTo(other.Raw);

    /// <summary>Readable with a unit that fits: "+12.345 ms", "-850 ns", "+3.200 s".</summary>
    public string ToHuman(bool signed = true)
    {
        double seconds = TotalSeconds;
        double magnitude = Math.Abs(seconds);
        string sign = signed ? (seconds < 0 ? "-" : "+") : (seconds < 0 ? "-" : "");
        string text = magnitude switch
        {
            >= 86400 => (magnitude / 86400).ToString("0.###", CultureInfo.InvariantCulture) + " days",
            >= 1 => magnitude.ToString("0.000###", CultureInfo.InvariantCulture) + " s",
            >= 1e-3 => (magnitude * 1e3).ToString("0.000", CultureInfo.InvariantCulture) + " ms",
            >= 1e-6 => (magnitude * 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " µs",
            _ => (magnitude * 1e9).ToString("0", CultureInfo.InvariantCulture) + " ns",
        };
        return sign + text;
    }

    /// <summary>As <see cref="ToHuman"/>.</summary>
    public override string ToString() => ToHuman();

    private static long Clamp(Int128 value) => value > long.MaxValue ? long.MaxValue : value < long.MinValue ? long.MinValue : (long)value;
}

using System.Globalization;

namespace Ferry.Cli.Commands.Files;

/// <summary>Byte counts, rates and times for people, in one unit system (IEC): 700 MiB, 1.2 GiB, 120 MiB/s.</summary>
internal static class ByteSizes
{
    private static readonly string[] s_units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    public static string Format(long bytes)
    {
        double value = bytes;
        int unit = 0;
        while (Math.Abs(value) >= 1024 && unit < s_units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        if (unit == 0) return $"{bytes} B";
        // Three significant figures at most: "1.2 GiB", "12.5 MiB", "700 MiB".
        return Math.Abs(value) >= 100
            ? string.Create(CultureInfo.InvariantCulture, $"{value:0} {s_units[unit]}")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {s_units[unit]}");
    }

    public static string Rate(long bytes, TimeSpan elapsed) =>
        elapsed.TotalSeconds <= 0 ? "- B/s" : Format((long)(bytes / elapsed.TotalSeconds)) + "/s";

    public static string Seconds(TimeSpan elapsed) => elapsed.TotalSeconds < 1
        ? string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:0.00} s")
        : string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:0.0} s");

    /// <summary>A time left: "0:42", "1:02:03".</summary>
    public static string Clock(TimeSpan left) =>
        left.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)left.TotalHours}:{left.Minutes:00}:{left.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{left.Minutes}:{left.Seconds:00}");
}

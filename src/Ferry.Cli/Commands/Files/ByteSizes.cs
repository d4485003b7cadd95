using System.Globalization;

namespace Ferry.Cli.Commands.Files;

/// <summary>Byte counts and rates for people: 1.5 MiB, 420 MB/s.</summary>
internal static class ByteSizes
{
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    public static string Rate(long bytes, TimeSpan elapsed) =>
        elapsed.TotalSeconds <= 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{bytes / elapsed.TotalSeconds / 1e6:0.0} MB/s");

    public static string Seconds(TimeSpan elapsed) => string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:0.00} s");
}

using System.CommandLine.Parsing;
using System.Globalization;

namespace Ferry.Cli.Infrastructure;

/// <summary>
/// Sizes on the command line: plain bytes, or a number with a unit. k, M, G, T (also written KiB, MiB, GiB, TiB, the
/// IEC names) are 1024-based, as in GNU head/dd; kB, MB, GB, TB are 1000-based (SI). Letters may be either case.
/// </summary>
internal static class Sizes
{
    /// <summary>For option descriptions: what a size may be written as.</summary>
    public const string Accepted = "bytes, or with a unit: k, M, G, T (= KiB, MiB, GiB, TiB: 1024-based) or kB, MB, GB, TB (1000-based)";

    /// <summary>Appended to a size option's description.</summary>
    public const string Hint = " (or with a unit: 64k, 512MiB, 1G; k, M, G are 1024-based, kB, MB, GB 1000-based)";

    public static bool TryParse(string text, out long bytes, out string error)
    {
        bytes = 0;
        error = "";
        var s = text.Trim();
        int end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.')) end++;
        var number = s[..end];
        var unit = s[end..].TrimStart().ToLowerInvariant();
        if (number.Length == 0 || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            error = "expected a size such as 4096, 64k, 512MiB or 1G";
            return false;
        }
        decimal? scale = unit switch
        {
            "" or "b" => 1m,
            "k" or "ki" or "kib" => 1024m,
            "m" or "mi" or "mib" => 1024m * 1024,
            "g" or "gi" or "gib" => 1024m * 1024 * 1024,
            "t" or "ti" or "tib" => 1024m * 1024 * 1024 * 1024,
            "kb" => 1e3m,
            "mb" => 1e6m,
            "gb" => 1e9m,
            "tb" => 1e12m,
            _ => null,
        };
        if (scale is null)
        {
            error = $"unknown unit '{s[end..].TrimStart()}' (k, M, G, T, KiB, MiB, GiB, TiB: 1024-based; kB, MB, GB, TB: 1000-based)";
            return false;
        }
        // decimal holds up to ~7.9e28, far past long's range, so the product cannot overflow before the check.
        var product = value * scale.Value;
        if (product > long.MaxValue)
        {
            error = "too large";
            return false;
        }
        if (product != decimal.Truncate(product))
        {
            error = "not a whole number of bytes";
            return false;
        }
        bytes = (long)product;
        return true;
    }

    /// <summary>An <c>Option&lt;long&gt;.CustomParser</c>.</summary>
    public static long ParseInt64(ArgumentResult result) => Parse(result, long.MaxValue);

    /// <summary>An <c>Option&lt;int&gt;.CustomParser</c>.</summary>
    public static int ParseInt32(ArgumentResult result) => (int)Parse(result, int.MaxValue);

    private static long Parse(ArgumentResult result, long max)
    {
        if (result.Tokens.Count == 0) return 0;
        var text = result.Tokens[^1].Value;
        if (!TryParse(text, out var bytes, out var error)) result.AddError($"bad size '{text}' for {UsageErrors.NameOf(result)}: {error}");
        else if (bytes > max) result.AddError($"bad size '{text}' for {UsageErrors.NameOf(result)}: at most {max} bytes");
        else return bytes;
        return 0;
    }
}

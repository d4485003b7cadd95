using System.CommandLine.Parsing;
using System.Globalization;

namespace Ferry.Cli.Infrastructure;

/// <summary>
/// Durations on the command line: a plain number (in the option's own unit, seconds unless its help says otherwise),
/// or numbers with units, as in Go and systemd: 250ms, 30s, 5m, 1h, 2d, and sums such as 1m30s.
/// </summary>
internal static class Durations
{
    /// <summary>For option descriptions: what a duration may be written as.</summary>
    public const string Accepted = "seconds, or with a unit: 250ms, 30s, 5m, 1h, 1d, 1m30s";

    /// <summary>Appended to a duration option's description.</summary>
    public const string Hint = " (or with a unit: 250ms, 30s, 5m, 1h)";

    public static bool TryParse(string text, TimeSpan plainUnit, out TimeSpan duration, out string error)
    {
        duration = TimeSpan.Zero;
        if (!TryParse(text, plainUnit.TotalMilliseconds, out var value, out error)) return false;
        duration = TimeSpan.FromMilliseconds(value * plainUnit.TotalMilliseconds);
        return true;
    }

    // The value in the option's unit (unitMs milliseconds each): a plain number as it is, so 'N' keeps meaning what
    // it meant before units were accepted. Sums are kept in milliseconds, where 250ms and 1.5s are exact.
    private static bool TryParse(string text, double unitMs, out double value, out string error)
    {
        value = 0;
        error = "expected a duration such as 30, 250ms, 30s, 5m or 1h";
        var s = text.Trim().ToLowerInvariant();
        double totalMs = 0;
        int i = 0;
        do
        {
            int start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (!double.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                return false;
            int unitStart = i;
            while (i < s.Length && char.IsAsciiLetterLower(s[i])) i++;
            var unit = s[unitStart..i];
            if (unit.Length == 0 && start == 0 && i == s.Length)
            {
                value = number;
                break;
            }
            double? ms = unit switch
            {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                _ => null,
            };
            if (ms is null)
            {
                error = unit.Length == 0 ? "each number in a sum needs its unit (e.g. 1m30s)" : $"unknown unit '{unit}' (use ms, s, m, h or d)";
                return false;
            }
            totalMs += number * ms.Value;
            value = totalMs / unitMs;
        }
        while (i < s.Length);
        if (!double.IsFinite(value) || value * unitMs >= TimeSpan.MaxValue.TotalMilliseconds)
        {
            error = "too long";
            return false;
        }
        error = "";
        return true;
    }

    /// <summary>An <c>Option&lt;double&gt;.CustomParser</c> for an option counted in seconds.</summary>
    public static double ParseSeconds(ArgumentResult result) => Parse(result, TimeSpan.FromSeconds(1));

    /// <summary>An <c>Option&lt;double?&gt;.CustomParser</c> for an option counted in seconds that may be absent.</summary>
    public static double? ParseOptionalSeconds(ArgumentResult result) => result.Tokens.Count == 0 ? null : ParseSeconds(result);

    /// <summary>An <c>Option&lt;double&gt;.CustomParser</c> for an option counted in milliseconds.</summary>
    public static double ParseMilliseconds(ArgumentResult result) => Parse(result, TimeSpan.FromMilliseconds(1));

    /// <summary>An <c>Option&lt;double&gt;.CustomParser</c> for an option counted in days.</summary>
    public static double ParseDays(ArgumentResult result) => Parse(result, TimeSpan.FromDays(1));

    // The value in the option's unit (the command reads the number it always did).
    private static double Parse(ArgumentResult result, TimeSpan unit)
    {
        if (result.Tokens.Count == 0) return 0;
        var text = result.Tokens[^1].Value;
        if (TryParse(text, unit.TotalMilliseconds, out var value, out var error)) return value;
        result.AddError($"bad duration '{text}' for {UsageErrors.NameOf(result)}: {error}");
        return 0;
    }
}

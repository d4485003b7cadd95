using System.Globalization;
using System.Text;

namespace Ferry.Protocol;

/// <summary>
/// Makes a string that came from the network safe to put in a log line: control characters (C0, DEL, C1), line and
/// paragraph separators, bidirectional overrides and lone surrogates become visible escapes, so a peer can neither
/// forge log lines (CR/LF), drive the terminal of whoever reads the log (ESC, BEL) nor hide text (RLO); and the
/// result is cut to a bounded length. Every network-supplied string passed to a logger goes through
/// <see cref="Escape"/> first — one function, used by every layer that logs.
/// </summary>
public static class LogText
{
    /// <summary>How many characters of a value reach the log by default; more is cut and the rest counted.</summary>
    public const int DefaultMaxLength = 512;

    /// <summary>
    /// Returns <paramref name="value"/> with every unsafe character written as <c>\xHH</c> or <c>\uHHHH</c> (and
    /// <c>\</c> itself as <c>\\</c>, so an escape cannot be forged), cut after <paramref name="maxLength"/> characters
    /// with <c>…(+N chars)</c> appended. Null becomes the empty string. Returns the same instance when nothing changes.
    /// </summary>
    public static string Escape(string? value, int maxLength = DefaultMaxLength)
    {
        if (string.IsNullOrEmpty(value)) return string.Empty;
        int limit = Math.Min(value.Length, Math.Max(maxLength, 0));
        int first = FirstUnsafe(value.AsSpan(0, limit));
        if (first < 0 && limit == value.Length) return value;

        var builder = new StringBuilder(limit + 16);
        builder.Append(value, 0, first < 0 ? limit : first);
        for (int i = first < 0 ? limit : first; i < limit; i++)
        {
            char c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < limit && char.IsLowSurrogate(value[i + 1]))
            {
                builder.Append(c).Append(value[++i]);
            }
            else if (c == '\\')
            {
                builder.Append(@"\\");
            }
            else if (IsUnsafe(c))
            {
                builder.Append(c <= 0xFF ? "\\x" : "\\u").Append(((int)c).ToString(c <= 0xFF ? "X2" : "X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }
        if (limit < value.Length) builder.Append("…(+").Append(value.Length - limit).Append(" chars)");
        return builder.ToString();
    }

    private static int FirstUnsafe(ReadOnlySpan<char> span)
    {
        for (int i = 0; i < span.Length; i++)
        {
            char c = span[i];
            if (char.IsHighSurrogate(c) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1])) i++;
            else if (c == '\\' || IsUnsafe(c)) return i;
        }
        return -1;
    }

    // Called for a character that is not the start of a valid surrogate pair.
    private static bool IsUnsafe(char c) =>
        c < 0x20 || (c >= 0x7F && c <= 0x9F)             // C0, DEL, C1 (ESC, BEL, CR, LF, CSI...)
        || c is '\u2028' or '\u2029'                     // line / paragraph separators
        || (c >= '\u202A' && c <= '\u202E')              // bidi embeddings and overrides
        || (c >= '\u2066' && c <= '\u2069')              // bidi isolates
        || c is '\u200E' or '\u200F' or '\u061C'         // bidi marks
        || char.IsSurrogate(c);                          // a lone half of a pair
}

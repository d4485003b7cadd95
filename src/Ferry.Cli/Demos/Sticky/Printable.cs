using System.Text;

namespace Ferry.Cli.Demos.Sticky;

/// <summary>Bytes as text a person can read: ASCII as is, newlines as \n, anything else as \xNN.</summary>
internal static class Printable
{
    public static string Of(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            if (b == (byte)'\n') text.Append("\\n");
            else if (b == (byte)'\\') text.Append("\\\\");
            else if (b is >= 0x20 and < 0x7F) text.Append((char)b);
            else text.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    /// <summary>A long text cut in the middle, keeping both ends visible.</summary>
    public static string Shorten(string text, int max)
    {
        if (text.Length <= max) return text;
        int head = max * 2 / 3, tail = max - head - 1;
        return $"{text[..head]}…{text[^tail..]}";
    }
}

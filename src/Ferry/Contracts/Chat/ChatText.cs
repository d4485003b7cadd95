using System.Text;
using Ferry.Protocol;

namespace Ferry.Contracts.Chat;

/// <summary>
/// What chat text and names may contain. The server refuses invalid UTF-8 and control characters (so nobody can
/// repaint another user's terminal); clients strip controls again on display, as a second line of defence.
/// </summary>
public static class ChatText
{
    private static readonly UTF8Encoding s_strict = new(false, true);

    /// <summary>Decodes and checks one message; throws a <see cref="ProtocolError.BadRequest"/> naming the problem.</summary>
    public static string Validate(ReadOnlySpan<byte> utf8, int maxBytes)
    {
        if (utf8.Length == 0) throw new FerryException(ProtocolError.BadRequest, "empty message: there is nothing to send");
        if (utf8.Length > maxBytes) throw TooLong(utf8.Length, maxBytes);
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw new FerryException(ProtocolError.BadRequest, "the message is not valid UTF-8; chat text must be UTF-8 encoded");
        }
        var text = s_strict.GetString(utf8);
        for (int i = 0; i < text.Length; i++)
        {
            if (IsControl(text[i]))
            {
                throw new FerryException(ProtocolError.BadRequest,
                    $"the message contains the control character U+{(int)text[i]:X4} at position {i}; chat text is printable characters only");
            }
        }
        return text;
    }

    /// <summary>The <c>bad_request</c> for a text of <paramref name="length"/> bytes over the <paramref name="maxBytes"/> limit.</summary>
    public static FerryException TooLong(long length, int maxBytes) => new(ProtocolError.BadRequest,
        $"the message is {length} bytes; the limit is {maxBytes} bytes of UTF-8 text — split it into several messages");

    /// <summary>Whether <paramref name="c"/> is a C0/C1 control or DEL (tab is refused too: it breaks the layout).</summary>
    public static bool IsControl(char c) => c < 0x20 || c is >= '\u007f' and <= '\u009f';

    /// <summary>Removes control characters (ESC sequences lose their ESC and are shown as plain text).</summary>
    public static string StripControls(string text)
    {
        int i = 0;
        while (i < text.Length && !IsControl(text[i])) i++;
        if (i == text.Length) return text;
        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            if (!IsControl(text[i])) sb.Append(text[i]);
        }
        return sb.ToString();
    }

    /// <summary>Nicks and room names: letters, digits, <c>_ - .</c>; 1 to <paramref name="maxLength"/> characters.</summary>
    public static string ValidateName(string? name, string what, int maxLength)
    {
        if (string.IsNullOrEmpty(name)) throw new FerryException(ProtocolError.BadRequest, $"the {what} is empty; give a {what} name");
        if (name.Length > maxLength) throw new FerryException(ProtocolError.BadRequest, $"the {what} '{StripControls(name[..maxLength])}…' is longer than {maxLength} characters");
        foreach (char c in name)
        {
            if (!char.IsLetterOrDigit(c) && c is not ('_' or '-' or '.'))
            {
                throw new FerryException(ProtocolError.BadRequest,
                    $"the {what} '{StripControls(name)}' contains '{StripControls(c.ToString())}'; use letters, digits, '_', '-' and '.' only");
            }
        }
        return name;
    }
}

namespace Ferry.Protocol;

/// <summary>Maps <see cref="ProtocolError"/> to and from the snake_case strings used on the wire.</summary>
public static class ProtocolErrorCodes
{
    private static readonly string[] s_codes = Enum.GetValues<ProtocolError>().Select(ToSnakeCase).ToArray();

    /// <summary>The code as written in an error frame, e.g. <c>bad_request</c>.</summary>
    public static string ToWire(ProtocolError error) => s_codes[(int)error];

    /// <summary>Reads a wire code; false for a code this version does not know.</summary>
    public static bool TryParse(string? code, out ProtocolError error)
    {
        int index = code is null ? -1 : Array.IndexOf(s_codes, code);
        error = index < 0 ? ProtocolError.Internal : (ProtocolError)index;
        return index >= 0;
    }

    private static string ToSnakeCase(ProtocolError error)
    {
        var name = error.ToString();
        var sb = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}

using System.Buffers;
using System.Text;

namespace Ferry.Client;

/// <summary>Builds one POSIX shell command line from separate arguments, quoting each so the remote shell sees them unchanged.</summary>
public static class ShellQuoting
{
    private static readonly SearchValues<char> s_safe =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%");

    /// <summary>
    /// One argument is taken as a whole command line (so <c>'ls | wc -l'</c> keeps its pipe, as with ssh); several are
    /// each quoted (so <c>echo 'a  b'</c> prints <c>a  b</c>).
    /// </summary>
    public static string Join(IReadOnlyList<string> args)
    {
        ArgumentOutOfRangeException.ThrowIfZero(args.Count);
        if (args.Count == 1) return args[0];
        var line = new StringBuilder();
        foreach (var arg in args)
        {
            if (line.Length > 0) line.Append(' ');
            line.Append(Quote(arg));
        }
        return line.ToString();
    }

    /// <summary>Quotes one argument for sh: unchanged when it holds only safe characters, else in single quotes.</summary>
    public static string Quote(string arg)
    {
        if (arg.Length > 0 && !arg.AsSpan().ContainsAnyExcept(s_safe)) return arg;
        return "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}

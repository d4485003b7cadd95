using System.Text;
using System.Text.RegularExpressions;

namespace Ferry.Client;

/// <summary>
/// Gitignore-like exclude patterns for <see cref="FileSync"/>, matched against '/'-separated paths relative to the
/// synced folder: <c>*</c> matches within one name, <c>?</c> one character, <c>**</c> any number of folders,
/// <c>[abc]</c> a set; a pattern without a '/' (other than a trailing one) matches a name at any depth; a leading '/'
/// anchors it to the top; a trailing '/' matches folders only. An excluded folder is not entered. Pure: no I/O.
/// </summary>
public sealed class SyncExcludes
{
    private readonly List<(Regex Match, bool FoldersOnly)> _rules = [];

    /// <summary>No exclusions.</summary>
    public static SyncExcludes None { get; } = new([]);

    /// <param name="patterns">The patterns; blank ones are ignored.</param>
    /// <exception cref="ArgumentException">A pattern cannot be used (it is only '/', or starts with '!', which is not supported).</exception>
    public SyncExcludes(IEnumerable<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        foreach (var raw in patterns)
        {
            var pattern = raw.Trim();
            if (pattern.Length == 0) continue;
            if (pattern.StartsWith('!')) throw new ArgumentException($"exclude pattern '{raw}': '!' (re-including) is not supported; name what to exclude instead", nameof(patterns));
            bool foldersOnly = pattern.EndsWith('/');
            pattern = pattern.TrimEnd('/');
            bool anchored = pattern.StartsWith('/') || pattern.Contains('/');
            pattern = pattern.TrimStart('/');
            if (pattern.Length == 0) throw new ArgumentException($"exclude pattern '{raw}' names nothing", nameof(patterns));
            var body = Translate(pattern);
            var regex = anchored ? $"^{body}$" : $"^(?:.*/)?{body}$";
            _rules.Add((new Regex(regex, RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1)), foldersOnly));
        }
    }

    /// <summary>Whether any pattern was given.</summary>
    public bool Any => _rules.Count > 0;

    /// <summary>Whether <paramref name="relativePath"/> ('/'-separated, no leading '/') is excluded.</summary>
    public bool Excludes(string relativePath, bool isFolder)
    {
        foreach (var (match, foldersOnly) in _rules)
        {
            if (foldersOnly && !isFolder) continue;
            if (match.IsMatch(relativePath)) return true;
        }
        return false;
    }

    private static string Translate(string glob)
    {
        var text = new StringBuilder();
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                bool slashAfter = i + 2 < glob.Length && glob[i + 2] == '/';
                text.Append(slashAfter ? "(?:.*/)?" : ".*");
                i += slashAfter ? 2 : 1;
            }
            else if (c == '*')
            {
                text.Append("[^/]*");
            }
            else if (c == '?')
            {
                text.Append("[^/]");
            }
            else if (c == '[' && glob.IndexOf(']', i + 1) is int close && close > i + 1)
            {
                var set = glob[(i + 1)..close];
                bool negated = set.StartsWith('!') || set.StartsWith('^');
                if (negated) set = set[1..];
                text.Append(negated ? "[^/" : "[").Append(set.Replace("\\", "\\\\", StringComparison.Ordinal)).Append(']');
                i = close;
            }
            else if (c == '\\' && i + 1 < glob.Length)
            {
                text.Append(Regex.Escape(glob[++i].ToString()));
            }
            else
            {
                text.Append(Regex.Escape(c.ToString()));
            }
        }
        return text.ToString();
    }
}

using System.Globalization;

namespace Ferry.Cli.Infrastructure;

/// <summary>
/// Host aliases and defaults from <c>$FERRY_HOME/config</c> (<c>~/.ferry/config</c>), in the shape of ssh_config's
/// <c>Host</c> blocks:
/// <code>
/// Host work w               # names or patterns (*, ?, !negated)
///   HostName 10.0.0.5
///   Port 7000
///   User alice
///   KeyFile ~/.ferry/work.key
///   Plaintext yes
///   AcceptNew yes
/// Host *                    # defaults for every host
///   AcceptNew yes
/// </code>
/// Settings are case-insensitive, written <c>Name value</c> or <c>Name=value</c>; values may be double-quoted; <c>#</c>
/// starts a comment. As in ssh, the first value found for a setting wins, reading the blocks that match in file order,
/// so specific hosts go first and <c>Host *</c> last; settings above the first <c>Host</c> apply to every host.
/// Parsing is pure (<see cref="Parse"/>); a mistake is a <see cref="HostConfigException"/> with one line naming the
/// file, the line and the problem.
/// </summary>
internal sealed class HostConfig
{
    /// <summary>The file name inside the state folder.</summary>
    public const string FileName = "config";

    private static readonly string[] Settings = ["HostName", "Port", "User", "KeyFile", "Plaintext", "AcceptNew"];
    private readonly List<Block> _blocks;

    private HostConfig(string path, List<Block> blocks)
    {
        Path = path;
        _blocks = blocks;
    }

    /// <summary>The file it was read from (shown in errors and by <c>ferry config show</c>).</summary>
    public string Path { get; }

    /// <summary>A config with no hosts, for when the file does not exist.</summary>
    public static HostConfig Empty(string path) => new(path, []);

    /// <summary>The names given on <c>Host</c> lines that are plain names, not patterns (for completion and listing).</summary>
    public IReadOnlyList<string> Aliases =>
        [.. _blocks.SelectMany(b => b.Patterns).Where(p => p.IndexOfAny(['*', '?', '!']) < 0).Distinct(StringComparer.OrdinalIgnoreCase)];

    /// <summary>Reads <c>config</c> in <paramref name="stateDirectory"/>; a missing file is an empty config.</summary>
    public static HostConfig Load(string stateDirectory)
    {
        var path = System.IO.Path.Combine(stateDirectory, FileName);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Empty(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HostConfigException($"{Shown(path)}: cannot be read: {ex.Message.TrimEnd('.')}");
        }
        return Parse(text, path);
    }

    /// <summary>Parses the text of a config file read from <paramref name="path"/> (used in messages and for relative key files).</summary>
    public static HostConfig Parse(string text, string path)
    {
        var blocks = new List<Block>();
        Block? current = null;
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int number = i + 1;
            string Where() => $"{Shown(path)}:{number.ToString(CultureInfo.InvariantCulture)}";
            var words = Words(lines[i].TrimEnd('\r'), out var problem);
            if (problem is not null) throw new HostConfigException($"{Where()}: {problem}");
            if (words.Count == 0) continue;
            var name = words[0];
            var values = words.Skip(1).ToList();
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                if (values.Count == 0) throw new HostConfigException($"{Where()}: 'Host' needs at least one name or pattern, such as 'Host work' or 'Host *'");
                current = new Block(values, number);
                blocks.Add(current);
                continue;
            }
            var setting = Array.Find(Settings, s => s.Equals(name, StringComparison.OrdinalIgnoreCase))
                ?? throw new HostConfigException($"{Where()}: unknown setting '{name}' (expected Host, {string.Join(", ", Settings)})");
            if (values.Count == 0) throw new HostConfigException($"{Where()}: '{setting}' needs a value");
            if (values.Count > 1) throw new HostConfigException($"{Where()}: '{setting}' takes one value, not {values.Count} (put quotes around a value with spaces)");
            var value = values[0];
            switch (setting)
            {
                case "Port" when !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535:
                    throw new HostConfigException($"{Where()}: 'Port' must be a number from 1 to 65535, not '{value}'");
                case "Plaintext" or "AcceptNew" when YesNo(value) is null:
                    throw new HostConfigException($"{Where()}: '{setting}' must be yes or no, not '{value}'");
            }
            if (current is null)
            {
                // Above the first Host line: for every host, as in ssh_config.
                current = new Block(["*"], number);
                blocks.Add(current);
            }
            current.Values.TryAdd(setting, (value, number)); // the first value in a block wins, as across blocks
        }
        return new HostConfig(path, blocks);
    }

    /// <summary>
    /// The settings that apply to <paramref name="host"/> (the name typed on the command line, without a port), or
    /// an empty <see cref="HostSettings"/> when no block matches.
    /// </summary>
    public HostSettings Resolve(string host)
    {
        var found = new Dictionary<string, (string Value, int Line)>(StringComparer.Ordinal);
        var matched = new List<int>();
        foreach (var block in _blocks)
        {
            if (!block.Matches(host)) continue;
            matched.Add(block.Line);
            foreach (var (setting, entry) in block.Values) found.TryAdd(setting, entry);
        }
        string? Get(string setting) => found.TryGetValue(setting, out var entry) ? entry.Value : null;
        int? Line(string setting) => found.TryGetValue(setting, out var entry) ? entry.Line : null;
        return new HostSettings(
            Alias: host,
            HostName: Get("HostName"),
            Port: Get("Port") is { } port ? int.Parse(port, CultureInfo.InvariantCulture) : null,
            User: Get("User"),
            KeyFile: Get("KeyFile") is { } key ? ExpandPath(key) : null,
            Plaintext: Get("Plaintext") is { } plaintext ? YesNo(plaintext) : null,
            AcceptNew: Get("AcceptNew") is { } acceptNew ? YesNo(acceptNew) : null,
            MatchedLines: matched,
            SettingLines: Settings.Where(found.ContainsKey).ToDictionary(s => s, s => Line(s)!.Value, StringComparer.Ordinal));
    }

    /// <summary>The path as people write it: <c>~/…</c> for one in the home folder.</summary>
    public static string Shown(string path)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return home.Length > 1 && path.StartsWith(home + "/", StringComparison.Ordinal) ? "~" + path[home.Length..] : path;
    }

    // ~ is the home folder; a relative key file is relative to the config file's folder.
    private string ExpandPath(string value)
    {
        if (value == "~" || value.StartsWith("~/", StringComparison.Ordinal))
        {
            return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), value.Length > 2 ? value[2..] : "");
        }
        return System.IO.Path.GetFullPath(value, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path)) ?? "/");
    }

    private static bool? YesNo(string value) => value.ToLowerInvariant() switch
    {
        "yes" or "true" or "on" => true,
        "no" or "false" or "off" => false,
        _ => null,
    };

    // Splits one line into the setting's name and its values: the name ends at a blank or '=' (Port 7000, Port=7000,
    // Port = 7000); values are separated by blanks, "double quotes" keep blanks, and # outside quotes ends the line.
    private static List<string> Words(string line, out string? problem)
    {
        problem = null;
        var words = new List<string>();
        int i = SkipBlanks(line, 0);
        if (i >= line.Length || line[i] == '#') return words;
        int start = i;
        while (i < line.Length && line[i] is not (' ' or '\t' or '=' or '#')) i++;
        if (i == start)
        {
            problem = "the line starts with '=' but names no setting";
            return words;
        }
        words.Add(line[start..i]);
        i = SkipBlanks(line, i);
        if (i < line.Length && line[i] == '=') i = SkipBlanks(line, i + 1);
        var word = new System.Text.StringBuilder();
        bool inWord = false, quoted = false;
        for (; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"') quoted = false;
                else word.Append(c);
            }
            else if (c == '#')
            {
                break;
            }
            else if (c == '"')
            {
                quoted = inWord = true;
            }
            else if (c is ' ' or '\t')
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (quoted) problem = "a quote is not closed";
        else if (inWord) words.Add(word.ToString());
        return words;
    }

    private static int SkipBlanks(string line, int i)
    {
        while (i < line.Length && line[i] is ' ' or '\t') i++;
        return i;
    }

    private sealed class Block(List<string> patterns, int line)
    {
        public List<string> Patterns { get; } = patterns;

        public int Line { get; } = line;

        public Dictionary<string, (string Value, int Line)> Values { get; } = new(StringComparer.Ordinal);

        // ssh's rule: a negated pattern that matches excludes the block; otherwise any positive match includes it.
        public bool Matches(string host)
        {
            bool any = false;
            foreach (var pattern in Patterns)
            {
                if (pattern.StartsWith('!'))
                {
                    if (Glob(pattern[1..], host)) return false;
                }
                else if (Glob(pattern, host))
                {
                    any = true;
                }
            }
            return any;
        }
    }

    // * is any run of characters, ? any one; case-insensitive, like host names.
    internal static bool Glob(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}

/// <summary>The settings <see cref="HostConfig"/> gives one host; null where the file says nothing.</summary>
internal sealed record HostSettings(
    string Alias, string? HostName, int? Port, string? User, string? KeyFile, bool? Plaintext, bool? AcceptNew,
    IReadOnlyList<int> MatchedLines, IReadOnlyDictionary<string, int> SettingLines)
{
    /// <summary>Whether any block matched.</summary>
    public bool Matched => MatchedLines.Count > 0;
}

/// <summary>A malformed config file: the message is one line, <c>FILE:LINE: problem</c>.</summary>
internal sealed class HostConfigException(string message) : Exception(message);

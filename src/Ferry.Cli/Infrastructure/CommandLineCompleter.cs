using System.CommandLine;
using System.Text;

namespace Ferry.Cli.Infrastructure;

/// <summary>
/// What may come next on a <c>ferry</c> command line, for shell completion (<c>ferry completion</c>): subcommands,
/// options, hosts and remote paths. Pure over the command tree; hosts and remote folders come from the callbacks.
/// </summary>
internal sealed class CommandLineCompleter(Command root)
{
    /// <summary>What the word being completed is, once the words before it have been read.</summary>
    /// <param name="Command">The (sub)command the words so far chose.</param>
    /// <param name="Current">The word being typed (empty after a blank).</param>
    /// <param name="ValueOf">The option whose value it is, if any.</param>
    /// <param name="Argument">The positional argument it fills, if any.</param>
    /// <param name="Positionals">The positional words typed before it for this command (the first is the TARGET of client commands).</param>
    /// <param name="Before">Every word before it.</param>
    public sealed record Position(Command Command, string Current, Option? ValueOf, Argument? Argument, IReadOnlyList<string> Positionals, IReadOnlyList<string> Before);

    /// <summary>Splits a line as a shell would (blanks; 'single', "double" quotes; backslash), dropping the program name.</summary>
    public static List<string> Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else if (c == '\\' && quote == '"' && i + 1 < line.Length) word.Append(line[++i]);
                else word.Append(c);
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (c == '\\' && i + 1 < line.Length)
            {
                word.Append(line[++i]);
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
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
        // The word under the cursor, empty after a blank.
        words.Add(inWord ? word.ToString() : "");
        if (words.Count > 1) words.RemoveAt(0); // the program
        return words;
    }

    /// <summary>Reads <paramref name="words"/> (the last one is being typed) down the command tree.</summary>
    public Position Locate(IReadOnlyList<string> words)
    {
        var command = root;
        int positional = 0;
        Option? pending = null;
        bool afterDashes = false;
        var typed = new List<string>();
        for (int i = 0; i < words.Count - 1; i++)
        {
            var word = words[i];
            if (pending is not null)
            {
                pending = null;
                continue;
            }
            if (afterDashes)
            {
                positional++;
                continue;
            }
            if (word == "--")
            {
                afterDashes = true;
                continue;
            }
            if (word.StartsWith('-') && word.Length > 1)
            {
                var name = word.Split('=', 2)[0];
                var option = Options(command).FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name));
                if (option is not null && TakesValue(option) && !word.Contains('=', StringComparison.Ordinal)) pending = option;
                continue;
            }
            if (positional == 0 && command.Subcommands.FirstOrDefault(c => c.Name == word || c.Aliases.Contains(word)) is { } sub)
            {
                command = sub;
                continue;
            }
            typed.Add(word);
            positional++;
        }
        var current = words[^1];
        var before = words.Take(words.Count - 1).ToList();
        if (pending is not null) return new Position(command, current, pending, null, typed, before);
        if (afterDashes) return new Position(command, current, null, null, typed, before); // the remote command's own words
        return new Position(command, current, null, ArgumentAt(command, positional), typed, before);
    }

    /// <summary>
    /// The candidates for the last word: subcommands and options by name, hosts for a host argument
    /// (<paramref name="hosts"/>), remote paths for get/ls/rm (<paramref name="remote"/>, given the position, whose first
    /// positional word is the target). Empty means "let the shell complete file names".
    /// </summary>
    public async Task<IReadOnlyList<string>> CompleteAsync(IReadOnlyList<string> words, Func<IReadOnlyList<string>> hosts,
        Func<Position, Task<IReadOnlyList<string>>> remote)
    {
        var at = Locate(words);
        var current = at.Current;
        IEnumerable<string> found;
        if (at.ValueOf is { } option)
        {
            found = Fixed(option);
        }
        else if (current.StartsWith('-'))
        {
            found = Options(at.Command).Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal) || current.Length <= 2);
        }
        else if (at.Command.Subcommands.Count > 0 && at.Positionals.Count == 0)
        {
            found = at.Command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
        }
        else if (at.Argument is { } argument && IsHost(argument))
        {
            found = hosts();
        }
        else if (at.Argument is { } path && IsRemotePath(path) && at.Positionals.Count > 0)
        {
            return await remote(at).ConfigureAwait(false);
        }
        else if (at.Argument is { Name: "COMMAND" } && at.Command.Name == "help")
        {
            found = root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
        }
        else
        {
            found = at.Argument is { } other ? Fixed(other) : [];
        }
        return [.. found.Where(c => c.StartsWith(current, StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    private static bool IsHost(Argument argument) => argument.Name is "TARGET" or "HOST" or "HOST:PORT";

    private static bool IsRemotePath(Argument argument) => argument.Name is "REMOTE" or "REMOTE_DIR";

    // Values a symbol accepts from a fixed list (AcceptOnlyFromAmong, enums); none for free text.
    private static IEnumerable<string> Fixed(Symbol symbol)
    {
        try
        {
            return symbol switch
            {
                Option o when o.ValueType == typeof(bool) => [],
                Option o => o.GetCompletions(System.CommandLine.Completions.CompletionContext.Empty).Select(c => c.Label),
                Argument a => a.GetCompletions(System.CommandLine.Completions.CompletionContext.Empty).Select(c => c.Label),
                _ => [],
            };
        }
        catch (InvalidOperationException)
        {
            return [];
        }
    }

    private static bool TakesValue(Option option) => option.ValueType != typeof(bool) && option.Arity.MaximumNumberOfValues > 0;

    // The command's own options and the recursive ones of the commands above it (--verbose), and --help.
    private IEnumerable<Option> Options(Command command)
    {
        foreach (var option in command.Options) yield return option;
        foreach (var option in root.Options.Where(o => o.Recursive && !command.Options.Contains(o))) yield return option;
    }

    // The argument the n-th positional word fills, by the arguments' arities (the last one takes the rest).
    private static Argument? ArgumentAt(Command command, int index)
    {
        int seen = 0;
        foreach (var argument in command.Arguments)
        {
            int most = argument.Arity.MaximumNumberOfValues;
            if (index < seen + most || most > 1000) return argument;
            seen += most;
        }
        return null;
    }
}

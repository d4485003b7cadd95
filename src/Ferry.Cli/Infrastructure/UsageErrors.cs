using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Ferry.Cli.Infrastructure;

/// <summary>
/// What was wrong with a command line, as the one line a user gets (exit 2):
/// <c>ferry ls: unknown option '--bogus' (see 'ferry ls --help')</c>. It names what was wrong in our words, never a
/// .NET type, and points at the command's help instead of printing all of it.
/// </summary>
internal static partial class UsageErrors
{
    /// <summary>The line to print, or null when the command line is fine (or asks for help or the version).</summary>
    public static string? Describe(ParseResult parsed)
    {
        // --help and --version win over any mistake beside them, as in git and gh.
        if (parsed.Action is { ClearsParseErrors: true }) return null;
        var problem = UnknownOptionTakenAsArgument(parsed) ?? FirstError(parsed);
        if (problem is null) return null;
        var path = CommandPath(parsed.CommandResult);
        return $"{path}: {problem} (see '{path} --help')";
    }

    /// <summary>How an option or argument is named in a message: "--size", or "TARGET".</summary>
    public static string NameOf(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;

    // System.CommandLine gives a token that looks like an option but matches none to any positional argument with
    // room for it ('ferry ls host --bogus' would list a folder named '--bogus'). Ours take no such names unless they
    // come after '--' ('ferry rm host -- -odd-name'); '-' alone (standard input or output) is a name, not an option.
    private static string? UnknownOptionTakenAsArgument(ParseResult parsed)
    {
        var afterDoubleDash = new HashSet<Token>(ReferenceEqualityComparer.Instance);
        bool seen = false;
        foreach (var token in parsed.Tokens)
        {
            if (seen) afterDoubleDash.Add(token);
            else if (token.Type == TokenType.DoubleDash) seen = true;
        }
        for (SymbolResult? result = parsed.CommandResult; result is CommandResult command; result = command.Parent)
        {
            foreach (var argument in command.Children.OfType<ArgumentResult>())
            {
                foreach (var token in argument.Tokens)
                {
                    if (token.Value.Length <= 1 || token.Value[0] != '-' || afterDoubleDash.Contains(token)) continue;
                    // 'ferry exec host ls -la': the remote command's own options are meant, not ours.
                    return command.Command.Name == "exec" && !ReferenceEquals(argument.Tokens[0], token)
                        ? $"unknown option '{token.Value}'; put the remote command after '--'"
                        : $"unknown option '{token.Value}'";
                }
            }
        }
        return null;
    }

    private static string? FirstError(ParseResult parsed)
    {
        if (parsed.Errors.Count == 0) return null;
        // An unknown word explains the errors that follow from it (a missing argument it was meant to be), so it goes first.
        var error = parsed.Errors.FirstOrDefault(e => UnrecognizedPattern().IsMatch(e.Message)) ?? parsed.Errors[0];
        return Rephrase(error.Message, parsed.CommandResult.Command);
    }

    /// <summary>System.CommandLine's message in our words (tested in ParserConventionTests).</summary>
    internal static string Rephrase(string message, Command command)
    {
        var m = UnrecognizedPattern().Match(message);
        if (m.Success)
        {
            var token = m.Groups[1].Value;
            if (token.StartsWith('-') && token.Length > 1) return $"unknown option '{token}'";
            return command.Subcommands.Count > 0 ? $"unknown command '{token}'" : $"unexpected argument '{token}'";
        }
        m = CannotParsePattern().Match(message);
        if (m.Success) return $"bad value '{m.Groups[1].Value}' for {m.Groups[2].Value}: expected {Expected(m.Groups[3].Value)}";
        m = MissingArgumentPattern().Match(message);
        if (m.Success) return $"missing {m.Groups[1].Value}";
        m = MissingOptionValuePattern().Match(message);
        if (m.Success) return $"{m.Groups[1].Value} needs a value";
        m = OneValuePattern().Match(message);
        if (m.Success) return $"{m.Groups[1].Value} takes one value, not {m.Groups[2].Value}";
        m = NotAmongPattern().Match(message);
        if (m.Success) return $"bad value '{m.Groups[1].Value}': use one of {string.Join(", ", m.Groups[2].Value.Split((char[])['\r', '\n', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))}";
        if (message.StartsWith("Required command was not provided", StringComparison.Ordinal)) return "missing command";
        // Anything else: System.CommandLine's words, on one line, without .NET type names.
        var line = string.Join(' ', message.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim().TrimEnd('.');
        line = TypeNamePattern().Replace(line, t => Expected(t.Value));
        return line.Length > 0 ? char.ToLowerInvariant(line[0]) + line[1..] : "bad command line";
    }

    private static string Expected(string typeName) => typeName switch
    {
        _ when WholeNumberPattern().IsMatch(typeName) => "a whole number",
        _ when typeName.Contains("Double", StringComparison.Ordinal) || typeName.Contains("Single", StringComparison.Ordinal)
            || typeName.Contains("Decimal", StringComparison.Ordinal) => "a number",
        _ when typeName.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ => "a value of another kind",
    };

    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? result = command; result is CommandResult c; result = c.Parent) names.Add(c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    [GeneratedRegex(@"^Unrecognized command or argument '(.*)'\.")]
    private static partial Regex UnrecognizedPattern();

    [GeneratedRegex(@"^Cannot parse argument '(.*)' for (?:option|command) '(.*)' as expected type '([^']*)'")]
    private static partial Regex CannotParsePattern();

    [GeneratedRegex(@"^Required argument '(.*)' missing for command")]
    private static partial Regex MissingArgumentPattern();

    [GeneratedRegex(@"^Required argument missing for option: '(.*)'")]
    private static partial Regex MissingOptionValuePattern();

    [GeneratedRegex(@"^Option '(.*)' expects a single argument but (\d+) were provided")]
    private static partial Regex OneValuePattern();

    [GeneratedRegex(@"^Argument '(.*)' not recognized\. Must be one of:(.*)", RegexOptions.Singleline)]
    private static partial Regex NotAmongPattern();

    [GeneratedRegex(@"System\.[A-Za-z0-9_.`\[\], ]+")]
    private static partial Regex TypeNamePattern();

    [GeneratedRegex(@"Int\d+|UInt\d+|Byte")]
    private static partial Regex WholeNumberPattern();
}

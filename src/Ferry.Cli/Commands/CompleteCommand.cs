using System.CommandLine;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Ferry.Contracts.Files;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry __complete --line LINE</c> (hidden): the candidates for the last word of LINE, one per line, for the
/// scripts of <see cref="CompletionCommand"/>. Never prints errors and always exits 0: a completion that fails
/// offers nothing, and the shell falls back to file names.
/// </summary>
internal static class CompleteCommand
{
    /// <summary>
    /// The longest a remote folder listing may take (connect, log in, list) before it is given up: 2 s, or
    /// <c>$FERRY_COMPLETION_TIMEOUT</c> seconds.
    /// </summary>
    private static TimeSpan RemoteBudget =>
        double.TryParse(Environment.GetEnvironmentVariable("FERRY_COMPLETION_TIMEOUT"), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out double seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(2);

    public static Command Create(CliContext cli, Func<Command> root)
    {
        var line = new Option<string>("--line") { Description = "The command line up to the cursor" };
        var command = new Command("__complete", "Candidates for shell completion (used by the scripts of 'ferry completion')") { line };
        command.Hidden = true;
        command.SetAction(async (result, ct) =>
        {
            try
            {
                var words = CommandLineCompleter.Split(result.GetValue(line) ?? "");
                var found = await new CommandLineCompleter(root()).CompleteAsync(words, Hosts, RemoteAsync).ConfigureAwait(false);
                foreach (var candidate in found) cli.Out.WriteLine(candidate);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Nothing to offer.
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static IReadOnlyList<string> Hosts()
    {
        try
        {
            return [.. TargetResolver.LoadConfig().Aliases, "localhost"];
        }
        catch (CliUsageException)
        {
            return ["localhost"]; // a malformed config: the next real command says what is wrong with it
        }
    }

    // Lists the folder part of the word on the server: "backup/ph" lists backup/ and offers what starts with "ph".
    private static async Task<IReadOnlyList<string>> RemoteAsync(CommandLineCompleter.Position at)
    {
        var word = at.Current;
        int slash = word.LastIndexOf('/');
        var folder = slash < 0 ? "" : word[..(slash + 1)];
        var prefix = word[folder.Length..];
        var (target, host) = TargetResolver.Resolve(at.Positionals[0], TargetResolver.LoadConfig());
        var budget = RemoteBudget;
        var options = new FerryClientOptions(target)
        {
            Plaintext = Flag(at.Before, "--plaintext") || host.Plaintext == true,
            KeyFile = Value(at.Before, "--key-file") is { } key ? Path.GetFullPath(key) : host.KeyFile,
            ConnectTimeout = budget,
            // Never trusts a new server or asks anything: completion must not change known_hosts or wait for a person.
            AcceptNewHost = false,
        };
        if ((Value(at.Before, "--user") ?? host.User) is { } user)
        {
            if (Environment.GetEnvironmentVariable("FERRY_PASSWORD") is not { Length: > 0 } password) return [];
            options.User = user;
            options.Password = password;
        }
        using var deadline = new CancellationTokenSource(budget);
        await using var client = await FerryClient.ConnectAsync(options, deadline.Token).ConfigureAwait(false);
        var entries = await client.ListAsync(folder.TrimEnd('/'), recursive: false, deadline.Token).ConfigureAwait(false);
        return [.. entries
            .Where(e => e.Name.StartsWith(prefix, StringComparison.Ordinal))
            .Select(e => folder + e.Name + (e.Kind == FileKinds.Directory ? "/" : ""))
            .Order(StringComparer.Ordinal)];
    }

    private static bool Flag(IReadOnlyList<string> words, string name) => words.Contains(name);

    private static string? Value(IReadOnlyList<string> words, string name)
    {
        for (int i = 0; i < words.Count; i++)
        {
            if (words[i] == name && i + 1 < words.Count) return words[i + 1];
            if (words[i].StartsWith(name + "=", StringComparison.Ordinal)) return words[i][(name.Length + 1)..];
        }
        return null;
    }
}

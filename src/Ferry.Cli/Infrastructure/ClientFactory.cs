using System.CommandLine;
using Ferry.Client;

namespace Ferry.Cli.Infrastructure;

/// <summary>
/// The connection options every client command shares, and the one place that turns them into a connected
/// <see cref="FerryClient"/>. New authentication options belong here, so every command gets them at once.
/// </summary>
internal sealed class ClientFactory
{
    private readonly CliContext? _cli;

    /// <param name="cli">The console, for the trust and password prompts; without it the process console is used.</param>
    public ClientFactory(CliContext? cli = null) => _cli = cli;

    public Argument<string> Target { get; } = CommonOptions.Target();

    public Option<bool> Plaintext { get; } = CommonOptions.Plaintext();

    public Option<string?> KeyFile { get; } = new("--key-file")
    {
        Description = "The server's shared key (default: $FERRY_KEY_FILE, else ~/.ferry/key, which 'ferry serve' creates)",
    };

    public Option<string?> User { get; } = new("--user")
    {
        Description = "Log in as this user (SCRAM-SHA-256) instead of with the key; the password comes from $FERRY_PASSWORD or a prompt",
    };

    public Option<bool> AcceptNew { get; } = new("--accept-new")
    {
        Description = "Trust and remember a server seen for the first time without asking (a changed certificate is still refused)",
    };

    /// <summary>Adds the target argument and connection options to <paramref name="command"/>.</summary>
    public void AddTo(Command command, bool withTarget = true)
    {
        if (withTarget) command.Add(Target);
        command.Add(Plaintext);
        command.Add(KeyFile);
        command.Add(User);
        command.Add(AcceptNew);
    }

    /// <summary>
    /// The options for the TARGET (or <paramref name="targetText"/>): its alias in the config file (HostConfig) first,
    /// then the command line over it (a flag turns Plaintext/AcceptNew on; --key-file and --user replace the file's).
    /// </summary>
    public FerryClientOptions Options(ParseResult result, string? targetText = null)
    {
        SystemTrustStore.SkipLoading();
        var config = TargetResolver.LoadConfig();
        var (target, host) = TargetResolver.Resolve(targetText ?? result.GetValue(Target), config);
        var options = new FerryClientOptions(target)
        {
            Plaintext = result.GetValue(Plaintext) || host.Plaintext == true,
            KeyFile = result.GetValue(KeyFile) is { } keyFile ? Path.GetFullPath(keyFile) : host.KeyFile,
            AcceptNewHost = result.GetValue(AcceptNew) || host.AcceptNew == true,
        };
        if (options.KeyFile is not null && WhyUnreadable(options.KeyFile) is { } why)
        {
            var from = result.GetValue(KeyFile) is not null ? "--key-file"
                : $"{HostConfig.Shown(config.Path)}:{host.SettingLines["KeyFile"]}: KeyFile";
            throw new CliUsageException($"{from}: {options.KeyFile} {why}");
        }
        if ((result.GetValue(User) ?? host.User) is { } user)
        {
            options.User = user;
            options.Password = SecretPrompt.FromEnvironmentOrTerminal(_cli, $"Password for {user}@{target}: ")
                ?? throw new CliUsageException($"--user {user} needs a password: set FERRY_PASSWORD, or run on a terminal to be asked");
        }
        if (SecretPrompt.HasTerminal(_cli))
        {
            options.ConfirmNewHost = (host, fingerprint) => SecretPrompt.Confirm(_cli,
                $"The server {host} is not known yet. Its certificate fingerprint is\n  {fingerprint}\n" +
                "Compare it with the one 'ferry serve' printed. Trust it and remember it? [y/N] ");
        }
        return options;
    }

    /// <summary>
    /// Why the key file cannot be read, or null when it can: by opening it, since File.Exists says "no" for a file
    /// behind a folder this user may not enter, and "missing" would send them looking for the wrong thing.
    /// </summary>
    internal static string? WhyUnreadable(string path)
    {
        if (Directory.Exists(path)) return "is a folder, not a key file";
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            return null;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return "does not exist";
        }
        catch (UnauthorizedAccessException)
        {
            return "cannot be read: permission denied for this user (check the modes of the file and of the folders above it)";
        }
        catch (IOException ex)
        {
            return $"cannot be read: {ex.Message.TrimEnd('.')}";
        }
    }

    public Task<FerryClient> ConnectAsync(ParseResult result, CancellationToken cancellationToken) =>
        FerryClient.ConnectAsync(Options(result), cancellationToken);
}

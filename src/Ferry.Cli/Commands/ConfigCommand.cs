using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Cli.Infrastructure;
using Ferry.Client;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry config show [HOST]</c>: what the host aliases of <c>~/.ferry/config</c> make of a host.</summary>
internal static class ConfigCommand
{
    public const string FileHelp =
        "The file is $FERRY_HOME/config, else ~/.ferry/config, written like ~/.ssh/config:\n" +
        "  Host work            # a name to type instead of the address; several names and * ? patterns allowed\n" +
        "    HostName 10.0.0.5  # the address (or unix:PATH)\n" +
        "    Port 7000\n" +
        "    User alice         # log in with SCRAM as alice (password from $FERRY_PASSWORD or a prompt)\n" +
        "    KeyFile ~/.ferry/work.key\n" +
        "    Plaintext yes      # no TLS (the server runs --plaintext)\n" +
        "    AcceptNew yes      # trust the server's certificate the first time without asking\n" +
        "  Host *               # defaults for every host: put it last (the first value found wins)\n" +
        "    AcceptNew no\n" +
        "Then 'ferry exec work -- uptime'. Options on the command line win over the file.";

    public static Command Create(CliContext cli)
    {
        var command = new Command("config", "Host aliases and defaults in ~/.ferry/config (like ~/.ssh/config)\n\n" + FileHelp);
        command.Add(Show(cli));
        return command;
    }

    private static Command Show(CliContext cli)
    {
        var host = new Argument<string?>("HOST")
        {
            Description = "The host or alias to show, as you would type it (work, work:7001). Without it: every alias in the file",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var json = CommonOptions.Json();
        json.Description = "Print JSON: one object for HOST (alias, target, hostName, port, user, keyFile, plaintext, acceptNew, file, matched), else {file, exists, hosts: [...]}";
        var command = new Command("show", "Print the settings the config file gives a host: where it connects and how it logs in") { host, json };
        command.SetAction(result =>
        {
            var config = TargetResolver.LoadConfig();
            bool exists = File.Exists(config.Path);
            var names = result.GetValue(host) is { } one ? [one] : config.Aliases;
            var resolved = names.Select(name => (Name: name, Found: TargetResolver.Resolve(name, config))).ToList();
            var reports = resolved.Select(r => Report(r.Name, r.Found.Target, r.Found.Settings, config)).ToList();
            if (result.GetValue(json))
            {
                cli.Out.WriteLine(result.GetValue(host) is not null
                    ? JsonSerializer.Serialize(reports[0], ConfigJsonContext.Relaxed.HostReport)
                    : JsonSerializer.Serialize(new ConfigReport(config.Path, exists, reports), ConfigJsonContext.Relaxed.ConfigReport));
                return ExitCodes.Ok;
            }
            var shown = HostConfig.Shown(config.Path);
            if (reports.Count == 0)
            {
                cli.Out.WriteLine(exists ? $"{shown} names no hosts." : $"{shown} does not exist: no aliases.");
                cli.Error.WriteLine("Write one like this ('ferry help config' says more):\n  Host work\n    HostName 10.0.0.5\n    Port 7000");
                return ExitCodes.Ok;
            }
            for (int i = 0; i < reports.Count; i++)
            {
                if (i > 0) cli.Out.WriteLine();
                Write(cli, reports[i], resolved[i].Found.Settings, shown);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static HostReport Report(string name, FerryTarget target, HostSettings settings, HostConfig config) =>
        new(name, target.ToString(), settings.HostName, target.IsUnix ? null : target.Port, settings.User, settings.KeyFile,
            settings.Plaintext ?? false, settings.AcceptNew ?? false, config.Path, settings.Matched);

    private static void Write(CliContext cli, HostReport r, HostSettings settings, string shown)
    {
        string From(string setting) => settings.SettingLines.TryGetValue(setting, out int line) ? $"{shown}:{line}" : "default";
        cli.Out.WriteLine(r.Matched
            ? $"{r.Alias}: connects to {r.Target} (Host blocks at {string.Join(", ", settings.MatchedLines.Select(l => $"{shown}:{l}"))})"
            : $"{r.Alias}: connects to {r.Target} (no Host block in {shown} matches it)");
        var rows = new (string Name, string Value, string From)[]
        {
            ("HostName", r.HostName ?? (settings.Alias.Length > 0 ? settings.Alias : r.Target), From("HostName")),
            ("Port", r.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-", From("Port")),
            ("User", r.User ?? "- (log in with the shared key)", From("User")),
            ("KeyFile", r.KeyFile ?? "$FERRY_KEY_FILE, else key in the state folder", From("KeyFile")),
            ("Plaintext", r.Plaintext ? "yes" : "no (TLS)", From("Plaintext")),
            ("AcceptNew", r.AcceptNew ? "yes" : "no (ask on a terminal)", From("AcceptNew")),
        };
        int width = rows.Max(row => row.Value.Length);
        foreach (var (label, value, from) in rows) cli.Out.WriteLine($"  {label,-10} {value.PadRight(width)}  {(from == "default" ? "(default)" : "from " + from)}");
    }
}

/// <summary>One host in <c>ferry config show --json</c> (docs/cli-json.md).</summary>
internal sealed record HostReport(
    string Alias, string Target, string? HostName, int? Port, string? User, string? KeyFile, bool Plaintext, bool AcceptNew, string File, bool Matched);

/// <summary><c>ferry config show --json</c> without HOST.</summary>
internal sealed record ConfigReport(string File, bool Exists, IReadOnlyList<HostReport> Hosts);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(HostReport))]
[JsonSerializable(typeof(ConfigReport))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext
{
    private static ConfigJsonContext? s_relaxed;

    // Lazily: the generated Default is set up in another part of this partial class, in no fixed order.
    public static ConfigJsonContext Relaxed => s_relaxed ??= new(CliJson.Relaxed(Default));
}

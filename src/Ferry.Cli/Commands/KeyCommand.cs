using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Cli.Infrastructure;
using Ferry.Security;
using Ferry.Security.SharedKey;
using Ferry.Security.Tls;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry key show|rotate</c>: the server's shared key (and certificate fingerprint) in the state folder.</summary>
internal static class KeyCommand
{
    public static Command Create(CliContext cli)
    {
        var command = new Command("key", "Show or replace the shared key that clients authenticate with (full rights; keep it secret)");
        command.Add(Show(cli));
        command.Add(Rotate(cli));
        return command;
    }

    private static Option<string?> DataOption() => new("--data")
    {
        Description = "State folder. Default $FERRY_HOME or ~/.ferry",
    };

    private static Command Show(CliContext cli)
    {
        var data = DataOption();
        var json = CommonOptions.Json();
        var command = new Command("show", "Print the key (to copy into another machine's ~/.ferry/key) and the certificate fingerprint; changes nothing") { data, json };
        command.SetAction(result =>
        {
            // Only reads: a missing key is reported, never created (a typo in --data must not mint a new identity).
            var folder = Path.GetFullPath(result.GetValue(data) ?? StateFolder.Default());
            var path = Path.Combine(folder, StateFolder.KeyFileName);
            if (!File.Exists(path))
            {
                cli.Error.WriteLine($"ferry: no key at {path}; 'ferry serve' creates one on first start, or 'ferry key rotate' writes one now");
                return ExitCodes.Error;
            }
            var key = SharedKeyFile.Load(path);
            using var certificate = ServerIdentity.TryLoadPublic(folder);
            var fingerprint = certificate is null ? null : CertificateFingerprint.Of(certificate);
            if (result.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(new KeyReport(path, SharedKeyFile.Format(key), fingerprint), KeyJsonContext.Relaxed.KeyReport));
                return ExitCodes.Ok;
            }
            cli.Out.WriteLine($"key file:    {path}");
            cli.Out.WriteLine($"key:         {SharedKeyFile.Format(key)}");
            cli.Out.WriteLine($"certificate: {fingerprint ?? "(none yet; 'ferry serve' creates it)"}");
            cli.Error.WriteLine("To let another machine in: save the key line in its ~/.ferry/key (chmod 600), or pass --key-file PATH.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Rotate(CliContext cli)
    {
        var data = DataOption();
        var command = new Command("rotate", "Replace the key with a new random one; clients holding the old key are refused from the next login on") { data };
        command.SetAction(result =>
        {
            var folder = Folder(result, data);
            var path = Path.Combine(folder, StateFolder.KeyFileName);
            SharedKeyFile.Rotate(path);
            cli.Out.WriteLine($"new key written to {path}");
            cli.Error.WriteLine("A running server uses it from the next login on. Give the new key to clients ('ferry key show').");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Folder(ParseResult result, Option<string?> data)
    {
        var folder = Path.GetFullPath(result.GetValue(data) ?? StateFolder.Default());
        Directory.CreateDirectory(folder);
        return folder;
    }
}

/// <summary><c>ferry key show --json</c> (docs/cli-json.md): <c>certificateFingerprint</c> is null before the first <c>serve</c>.</summary>
internal sealed record KeyReport(string KeyFile, string Key, string? CertificateFingerprint);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(KeyReport))]
internal sealed partial class KeyJsonContext : JsonSerializerContext
{
    private static KeyJsonContext? s_relaxed;

    // Lazily: the generated Default is set up in another part of this partial class, in no fixed order.
    public static KeyJsonContext Relaxed => s_relaxed ??= new(CliJson.Relaxed(Default));
}

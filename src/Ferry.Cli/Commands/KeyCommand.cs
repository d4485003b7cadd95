using System.CommandLine;
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
        var command = new Command("show", "Print the key (to copy into another machine's ~/.ferry/key) and the certificate fingerprint") { data };
        command.SetAction(result =>
        {
            var folder = Folder(result, data);
            var path = Path.Combine(folder, StateFolder.KeyFileName);
            var key = SharedKeyFile.LoadOrCreate(path);
            using var certificate = ServerIdentity.TryLoadPublic(folder);
            cli.Out.WriteLine($"key file:    {path}");
            cli.Out.WriteLine($"key:         {SharedKeyFile.Format(key)}");
            cli.Out.WriteLine($"certificate: {(certificate is null ? "(none yet; 'ferry serve' creates it)" : CertificateFingerprint.Of(certificate))}");
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

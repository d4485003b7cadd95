using System.CommandLine;
using System.Text.Json;
using Ferry.Cli.Infrastructure;
using Ferry.Client;

namespace Ferry.Cli.Commands.Files;

/// <summary><c>ferry mkdir</c>: create a remote folder.</summary>
internal static class MkdirCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var folder = new Argument<string>("REMOTE_DIR") { Description = "Folder to create, relative to the server's root" };
        var parents = new Option<bool>("--parents", "-p") { Description = "Create missing parent folders too; no error if it exists" };
        var json = CommonOptions.Json();
        var command = new Command("mkdir", "Create a folder on a Ferry server.\nExample: ferry mkdir localhost backup/2026 -p");
        connect.AddTo(command);
        command.Add(folder);
        command.Add(parents);
        command.Add(json);
        command.SetAction(async (result, ct) =>
        {
            await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
            var path = result.GetValue(folder)!;
            await client.MakeDirectoryAsync(path, result.GetValue(parents), ct).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(new MkdirReport { Created = path, Parents = result.GetValue(parents) }, FilesCliJsonContext.Default.MkdirReport));
            }
            else
            {
                cli.Out.WriteLine($"created {path}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}

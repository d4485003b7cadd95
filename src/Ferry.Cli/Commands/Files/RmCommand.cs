using System.CommandLine;
using System.Text.Json;
using Ferry.Cli.Infrastructure;
using Ferry.Client;

namespace Ferry.Cli.Commands.Files;

/// <summary><c>ferry rm</c>: remove remote files or folders.</summary>
internal static class RmCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var remotes = new Argument<string[]>("REMOTE") { Description = "Remote files or folders to remove", Arity = ArgumentArity.OneOrMore };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Remove folders with everything in them" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing but errors" };
        var json = CommonOptions.Json();
        var command = new Command("rm", "Remove files on a Ferry server (a link is removed, never what it points to).\nExample: ferry rm localhost old.log");
        connect.AddTo(command);
        command.Add(remotes);
        command.Add(recursive);
        command.Add(quiet);
        command.Add(json);
        command.SetAction(async (result, ct) =>
        {
            await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
            bool asJson = result.GetValue(json);
            var removed = new List<string>();
            foreach (var remote in result.GetValue(remotes) ?? [])
            {
                await client.RemoveAsync(remote, result.GetValue(recursive), ct).ConfigureAwait(false);
                removed.Add(remote);
                if (!asJson && !result.GetValue(quiet)) cli.Out.WriteLine($"removed {remote}");
            }
            if (asJson) cli.Out.WriteLine(JsonSerializer.Serialize(new RemoveReport { Removed = removed }, FilesCliJsonContext.Default.RemoveReport));
            return ExitCodes.Ok;
        });
        return command;
    }
}

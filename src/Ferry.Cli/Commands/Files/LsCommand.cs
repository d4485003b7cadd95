using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Ferry.Contracts.Files;
using Ferry.Transfers;
using Spectre.Console;

namespace Ferry.Cli.Commands.Files;

/// <summary><c>ferry ls</c>: list a remote folder as a table (or JSON).</summary>
internal static class LsCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var folder = new Argument<string>("REMOTE_DIR") { Description = "Folder to list, relative to the server's root (default: the root)", Arity = ArgumentArity.ZeroOrOne };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Also list everything in sub-folders" };
        var json = CommonOptions.Json();
        var command = new Command("ls", "List files on a Ferry server: name, size, modified time and kind.\nExample: ferry ls localhost backup");
        connect.AddTo(command);
        command.Add(folder);
        command.Add(recursive);
        command.Add(json);
        command.SetAction(async (result, ct) =>
        {
            var path = result.GetValue(folder) ?? "";
            await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
            var entries = await client.ListAsync(path, result.GetValue(recursive), ct).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(new FileListing { Path = path, Entries = [.. entries] }, FilesJsonContext.Default.FileListing));
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("name").AddColumn(new TableColumn("size").RightAligned()).AddColumn("modified").AddColumn("kind");
            foreach (var entry in entries)
            {
                var name = Markup.Escape(entry.Kind == FileKinds.Directory ? entry.Name + "/" : entry.Name);
                var size = entry.Kind == FileKinds.File ? ByteSizes.Format(entry.Length) : "";
                var modified = FileMetadata.FromUnixMilliseconds(entry.Mtime).ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
                table.AddRow(name, size, modified, entry.Kind);
            }
            cli.Console.Write(table);
            long total = entries.Where(e => e.Kind == FileKinds.File).Sum(e => e.Length);
            cli.Out.WriteLine($"{entries.Count} entr{(entries.Count == 1 ? "y" : "ies")}, {ByteSizes.Format(total)} in files");
            return ExitCodes.Ok;
        });
        return command;
    }
}

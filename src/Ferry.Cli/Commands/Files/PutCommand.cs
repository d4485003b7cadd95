using System.CommandLine;
using Ferry.Cli.Infrastructure;
using Ferry.Client;

namespace Ferry.Cli.Commands.Files;

/// <summary><c>ferry put</c>: upload files (and with -r, folders) into the server's root.</summary>
internal static class PutCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var locals = new Argument<string[]>("LOCAL") { Description = "Local files (or folders, with -r) to upload", Arity = ArgumentArity.OneOrMore };
        var transfer = new TransferOptions();
        var command = new Command("put",
            "Upload files to a Ferry server. Each file is verified by SHA-256 and only then takes its name; an interrupted upload " +
            "continues with --resume.\nExample: ferry put localhost report.pdf photos/ -r --to backup");
        connect.AddTo(command);
        command.Add(locals);
        transfer.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var to = result.GetValue(transfer.To);
            bool recursive = result.GetValue(transfer.Recursive);
            var folders = new List<string>();
            var jobs = new List<TransferJob>();
            foreach (var local in result.GetValue(locals) ?? [])
            {
                Plan(local, to, recursive, folders, jobs);
            }
            var options = new FileTransferOptions { Force = result.GetValue(transfer.Force), Resume = result.GetValue(transfer.Resume) };
            await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
            foreach (var folder in folders) await client.MakeDirectoryAsync(folder, parents: true, ct).ConfigureAwait(false);
            var renderer = new TransferRenderer(cli, result.GetValue(transfer.Quiet));
            await renderer.RunAsync("put", jobs, (job, progress) => client.UploadAsync(job.Source, job.Destination,
                new FileTransferOptions { Force = options.Force, Resume = options.Resume, Progress = progress }, ct), ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Plan(string local, string? to, bool recursive, List<string> folders, List<TransferJob> jobs)
    {
        var full = Path.GetFullPath(local);
        if (File.Exists(full))
        {
            jobs.Add(new TransferJob(local, RemotePaths.Join(to, Path.GetFileName(full)), new FileInfo(full).Length));
            return;
        }
        if (!Directory.Exists(full)) throw new CliUsageException($"no such local file or folder: '{local}'");
        if (!recursive) throw new CliUsageException($"'{local}' is a folder; add -r to upload it with its contents");
        var top = full.TrimEnd(Path.DirectorySeparatorChar);
        var remoteTop = RemotePaths.Join(to, Path.GetFileName(top));
        folders.Add(remoteTop);
        // Links are not followed: a link to a folder outside could otherwise pull in much more than asked for.
        var walk = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false };
        foreach (var dir in Directory.EnumerateDirectories(top, "*", walk).Order(StringComparer.Ordinal))
        {
            folders.Add(RemotePaths.Join(remoteTop, Relative(top, dir)));
        }
        foreach (var file in Directory.EnumerateFiles(top, "*", walk).Order(StringComparer.Ordinal))
        {
            var relative = Relative(top, file);
            jobs.Add(new TransferJob(Path.Join(local, relative), RemotePaths.Join(remoteTop, relative), new FileInfo(file).Length));
        }
    }

    private static string Relative(string top, string path) => Path.GetRelativePath(top, path).Replace(Path.DirectorySeparatorChar, '/');
}

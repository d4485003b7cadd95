using System.CommandLine;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Ferry.Services.Files;
using Ferry.Transfers;

namespace Ferry.Cli.Commands.Files;

/// <summary><c>ferry get</c>: download files (and with -r, folders) from the server's root.</summary>
internal static class GetCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var remotes = new Argument<string[]>("REMOTE") { Description = "Remote files (or folders, with -r), relative to the server's root", Arity = ArgumentArity.OneOrMore };
        var transfer = new TransferOptions();
        var command = new Command("get",
            "Download files from a Ferry server. Data goes into NAME.part, is verified by SHA-256, then renamed; an interrupted " +
            "download continues with --resume.\nExample: ferry get localhost backup/report.pdf --to ~/Downloads");
        connect.AddTo(command);
        command.Add(remotes);
        transfer.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var localDir = result.GetValue(transfer.To) ?? ".";
            bool recursive = result.GetValue(transfer.Recursive);
            bool quiet = result.GetValue(transfer.Quiet);
            await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
            var jobs = new List<TransferJob>();
            foreach (var remote in result.GetValue(remotes) ?? [])
            {
                var entry = await client.StatAsync(remote, ct).ConfigureAwait(false);
                var localTop = Path.Join(localDir, RemotePaths.BaseName(remote));
                if (entry.Kind != FileKinds.Directory)
                {
                    jobs.Add(new TransferJob(remote, localTop, entry.Length));
                    continue;
                }
                if (!recursive) throw new CliUsageException($"'{remote}' is a folder; add -r to download it with its contents");
                Directory.CreateDirectory(localTop);
                foreach (var child in await client.ListAsync(remote, recursive: true, ct).ConfigureAwait(false))
                {
                    var localPath = Path.Join(localTop, child.Name.Replace('/', Path.DirectorySeparatorChar));
                    if (child.Kind == FileKinds.Directory) Directory.CreateDirectory(localPath);
                    else if (child.Kind == FileKinds.File) jobs.Add(new TransferJob(RemotePaths.Join(remote, child.Name), localPath, child.Length));
                    else if (!quiet) cli.Error.WriteLine($"ferry: skipping link '{RemotePaths.Join(remote, child.Name)}' (links are not copied)");
                }
            }
            var options = new FileTransferOptions { Force = result.GetValue(transfer.Force), Resume = result.GetValue(transfer.Resume) };
            var renderer = new TransferRenderer(cli, quiet);
            await renderer.RunAsync("get", jobs, (job, progress) => client.DownloadAsync(job.Source, job.Destination,
                new FileTransferOptions { Force = options.Force, Resume = options.Resume, Progress = progress }, ct), ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}

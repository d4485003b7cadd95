using System.CommandLine;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Contracts.Files;

namespace Ferry.Cli.Commands.Files;

/// <summary><c>ferry get</c>: download files (and with -r, folders) from the server's root, or one file to stdout.</summary>
internal static class GetCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var remotes = new Argument<string[]>("REMOTE")
        {
            Description = "Remote files (or folders, with -r), relative to the server's root; a last - writes the one file to stdout",
            Arity = ArgumentArity.OneOrMore,
        };
        var transfer = new TransferOptions(
            "Where to put it (default: the current folder). With one file, a NAME that is not an existing folder (and does not end in /) names the file, like cp; - is stdout");
        var command = new Command("get",
            "Download files from a Ferry server. Data goes into NAME.part, is verified by SHA-256, then renamed. An interrupted " +
            "download continues where it stopped when the same command runs again (--restart starts over).\n" +
            "Examples: ferry get localhost backup/report.pdf --to ~/Downloads\n" +
            "          ferry get localhost backup/report.pdf --to old-report.pdf\n" +
            "          ferry get localhost logs/app.log - | grep error");
        connect.AddTo(command);
        command.Add(remotes);
        transfer.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var names = (result.GetValue(remotes) ?? []).ToList();
            var to = result.GetValue(transfer.To);
            if (names.Count > 1 && names[^1] == "-")
            {
                if (to is not null) throw new CliUsageException("give either a last '-' or --to, not both");
                names.RemoveAt(names.Count - 1);
                to = "-";
            }
            if (names.Contains("-")) throw new CliUsageException("'-' (stdout) goes last, after the one remote file: ferry get HOST FILE -");
            bool recursive = result.GetValue(transfer.Recursive);
            var output = transfer.Output(result);
            await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
            if (to == "-") return await GetStdoutAsync(cli, client, names, output, result.GetValue(transfer.Compress), ct).ConfigureAwait(false);

            var entries = new List<FileEntry>();
            for (int i = 0; i < names.Count; i++)
            {
                entries.Add(await StatAsync(client, names, i, ct).ConfigureAwait(false));
            }
            var localDir = to ?? ".";
            string? singleName = null;
            if (names.Count == 1 && entries[0].Kind != FileKinds.Directory && to is { Length: > 0 }
                && !Directory.Exists(to) && !to.EndsWith('/') && !to.EndsWith(Path.DirectorySeparatorChar))
            {
                // One file and a --to that is not a folder: that is the file's name on arrival, as with cp.
                singleName = to;
            }
            var jobs = new List<TransferJob>();
            var skipped = new List<string>();
            for (int i = 0; i < names.Count; i++)
            {
                var remote = names[i];
                var entry = entries[i];
                var localTop = singleName ?? Path.Join(localDir, RemotePaths.BaseName(remote));
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
                    else skipped.Add(RemotePaths.Join(remote, child.Name));
                }
            }
            if (output == TransferOutput.Text)
            {
                foreach (var link in skipped) cli.Error.WriteLine($"ferry: skipping link '{link}' (links are not copied)");
            }
            bool force = result.GetValue(transfer.Force);
            // A file already here is a local matter (exit 1, not 5, which means the server said no); found before anything moves.
            foreach (var job in jobs) ThrowIfTaken(job.Destination, force);
            var renderer = new TransferRenderer(cli, "get", output, TimeProvider.System);
            return await renderer.RunAsync(jobs, resumable: true, skipped, async (job, progress) =>
            {
                ThrowIfTaken(job.Destination, force); // it may have appeared since
                return await client.DownloadAsync(job.Source, job.Destination,
                    new FileTransferOptions { Force = force, Resume = !result.GetValue(transfer.Restart), Compress = result.GetValue(transfer.Compress), Progress = progress }, ct).ConfigureAwait(false);
            }, ct, new TransferWindow(FileLimits.DownloadsPerConnection)).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> GetStdoutAsync(CliContext cli, FerryClient client, List<string> names, TransferOutput output, bool compress, CancellationToken ct)
    {
        if (names.Count != 1) throw new CliUsageException("stdout (-) takes exactly one remote file");
        if (output == TransferOutput.Json) throw new CliUsageException("--json and stdout (-) both want stdout; use one");
        var entry = await StatAsync(client, names, 0, ct).ConfigureAwait(false);
        if (entry.Kind == FileKinds.Directory) throw new CliUsageException($"'{names[0]}' is a folder; only a file can go to stdout");
        var renderer = new TransferRenderer(cli, "get", output, TimeProvider.System);
        return await renderer.RunAsync([new TransferJob(names[0], "-", entry.Length)], resumable: false, [],
            (job, progress) => client.DownloadAsync(job.Source, cli.StdOut, new FileTransferOptions { Compress = compress, Progress = progress }, ct), ct).ConfigureAwait(false);
    }

    private static async Task<FileEntry> StatAsync(FerryClient client, List<string> names, int index, CancellationToken ct)
    {
        try
        {
            return await client.StatAsync(names[index], ct).ConfigureAwait(false);
        }
        catch (FerryException ex) when (ex.Error == ProtocolError.NotFound && names.Count > 1 && index == names.Count - 1)
        {
            // 'ferry get HOST remote.pdf local.pdf', as with scp: every REMOTE is remote here, so say how to name it.
            throw new FerryException(ex.Error, $"{ex.Message}; to name the downloaded file, use --to {names[index]}", ex);
        }
    }

    private static void ThrowIfTaken(string localPath, bool force)
    {
        if (Directory.Exists(localPath)) throw new IOException($"'{localPath}' is a folder here; name another file with --to");
        if (File.Exists(localPath) && !force) throw new IOException($"'{localPath}' already exists here; use --force to overwrite it");
    }
}

using System.CommandLine;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Contracts.Files;
using Ferry.Services.Files;

namespace Ferry.Cli.Commands.Files;

/// <summary><c>ferry put</c>: upload files (and with -r, folders) into the server's root, or stdin as one file.</summary>
internal static class PutCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var locals = new Argument<string[]>("LOCAL") { Description = "Local files (or folders, with -r) to upload; - reads stdin (needs --to NAME)", Arity = ArgumentArity.OneOrMore };
        var transfer = new TransferOptions(
            "Where to put it (default: the root). With one file, a NAME that is not an existing folder (and does not end in /) names the file, like cp");
        var command = new Command("put",
            "Upload files to a Ferry server. Each file is verified by SHA-256 and only then takes its name. An interrupted upload " +
            "continues where it stopped when the same command runs again (--restart starts over).\n" +
            "Examples: ferry put localhost report.pdf photos/ -r --to backup\n" +
            "          ferry put localhost report.pdf --to backup/final.pdf\n" +
            "          tar c . | ferry put localhost - --to backup.tar");
        connect.AddTo(command);
        command.Add(locals);
        transfer.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var to = result.GetValue(transfer.To);
            var sources = result.GetValue(locals) ?? [];
            var output = transfer.Output(result);
            if (sources.Contains("-"))
            {
                if (sources.Length != 1) throw new CliUsageException("'-' (stdin) must be the only LOCAL");
                if (string.IsNullOrWhiteSpace(to) || to.EndsWith('/')) throw new CliUsageException("uploading stdin needs the file's name: --to NAME");
                return await PutStdinAsync(cli, connect, result, transfer, to, output, ct).ConfigureAwait(false);
            }
            bool recursive = result.GetValue(transfer.Recursive);
            var folders = new List<string>();
            var jobs = new List<TransferJob>();
            var skipped = new List<string>();
            foreach (var local in sources)
            {
                Plan(local, to, recursive, folders, jobs, skipped);
            }
            if (output == TransferOutput.Text)
            {
                foreach (var link in skipped) cli.Error.WriteLine($"ferry: skipping link '{link}' (links are not copied)");
            }
            var options = Options(result, transfer);
            await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
            if (jobs.Count == 1 && folders.Count == 0 && to is { Length: > 0 } && !to.EndsWith('/')
                && !await IsRemoteFolderAsync(client, to, ct).ConfigureAwait(false))
            {
                // One file and a --to that is not a folder: that is the file's new name.
                jobs[0] = jobs[0] with { Destination = to };
            }
            // Each upload creates its missing parent folders; only folders with no file below them need a request,
            // and those go out together.
            var window = new TransferWindow();
            await window.RunAsync(RemotePaths.FoldersWithoutFiles(folders, jobs.Select(j => j.Destination)), _ => 0,
                async (folder, token) =>
                {
                    await client.MakeDirectoryAsync(folder, parents: true, token).ConfigureAwait(false);
                    return true;
                }, ct).ConfigureAwait(false);
            var renderer = new TransferRenderer(cli, "put", output, TimeProvider.System);
            return await renderer.RunAsync(jobs, resumable: true, skipped, (job, progress) => client.UploadAsync(job.Source, job.Destination,
                new FileTransferOptions { Force = options.Force, Resume = options.Resume, Compress = options.Compress, Progress = progress }, ct), ct, window).ConfigureAwait(false);
        });
        return command;
    }

    private static FileTransferOptions Options(ParseResult result, TransferOptions transfer) =>
        new() { Force = result.GetValue(transfer.Force), Resume = !result.GetValue(transfer.Restart), Compress = result.GetValue(transfer.Compress) };

    private static async Task<bool> IsRemoteFolderAsync(FerryClient client, string path, CancellationToken ct)
    {
        try
        {
            return (await client.StatAsync(path, ct).ConfigureAwait(false)).Kind == FileKinds.Directory;
        }
        catch (FerryException ex) when (ex.Error == ProtocolError.NotFound)
        {
            return false;
        }
    }

    /// <summary>
    /// Stdin is not seekable and its size is not known up front, but an upload announces its size and its hash is
    /// checked: so stdin goes into a private temporary file first, which is then uploaded (verified, under a .part
    /// until complete) and deleted. There is nothing to resume: a re-run reads stdin anew.
    /// </summary>
    private static async Task<int> PutStdinAsync(CliContext cli, ClientFactory connect, ParseResult result, TransferOptions transfer, string to,
        TransferOutput output, CancellationToken ct)
    {
        var spool = Path.Join(Path.GetTempPath(), $"ferry-stdin-{Guid.NewGuid():N}");
        try
        {
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            long size;
            var file = new FileStream(spool, create);
            await using (file.ConfigureAwait(false))
            {
                await cli.StdIn.CopyToAsync(file, ct).ConfigureAwait(false);
                size = file.Length;
            }
            var force = result.GetValue(transfer.Force);
            await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
            if (await IsRemoteFolderAsync(client, to, ct).ConfigureAwait(false))
            {
                throw new CliUsageException($"'{to}' is a folder on the server; name the file: --to {to.TrimEnd('/')}/NAME");
            }
            var renderer = new TransferRenderer(cli, "put", output, TimeProvider.System);
            return await renderer.RunAsync([new TransferJob("-", to, size)], resumable: false, [], async (job, progress) =>
            {
                var sent = await client.UploadAsync(spool, job.Destination, new FileTransferOptions { Force = force, Compress = result.GetValue(transfer.Compress), Progress = progress }, ct).ConfigureAwait(false);
                return sent with { LocalPath = "-" };
            }, ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(spool);
        }
    }

    private static void Plan(string local, string? to, bool recursive, List<string> folders, List<TransferJob> jobs, List<string> skipped)
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
        Walk(new DirectoryInfo(top), local, remoteTop, folders, jobs, skipped);
    }

    // Links are not followed (a link to a folder outside could pull in much more than asked for), and each one
    // skipped is named, so that nothing goes missing silently.
    private static void Walk(DirectoryInfo dir, string local, string remote, List<string> folders, List<TransferJob> jobs, List<string> skipped)
    {
        var walk = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        foreach (var entry in dir.EnumerateFileSystemInfos("*", walk).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var localPath = Path.Join(local, entry.Name);
            var remotePath = RemotePaths.Join(remote, entry.Name);
            if (entry.LinkTarget is not null)
            {
                skipped.Add(localPath);
            }
            else if (entry is DirectoryInfo sub)
            {
                folders.Add(remotePath);
                Walk(sub, localPath, remotePath, folders, jobs, skipped);
            }
            else if (entry is FileInfo file)
            {
                jobs.Add(new TransferJob(localPath, remotePath, file.Length));
            }
        }
    }
}

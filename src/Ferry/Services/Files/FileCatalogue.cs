using System.Text.Json;
using Ferry.Protocol;
using Ferry.Server;
using Ferry.Contracts.Files;
using Ferry.Transfers;

namespace Ferry.Services.Files;

/// <summary>
/// The catalogue operations: <c>file.list</c>, <c>file.stat</c>, <c>file.remove</c> and <c>file.mkdir</c>. Each resolves
/// and acts in one <see cref="FileRoot"/> call, run through <see cref="FileIo"/> (off the connection's read loop).
/// </summary>
internal sealed class FileCatalogue(FilesOptions options, Func<FileRoot> root, FileIo io)
{
    public async ValueTask ListAsync(RequestContext request, FileRequestScope scope)
    {
        var list = request.Read(FilesJsonContext.Default.FilePathRequest);
        var path = scope.Path = FileSandbox.RequirePath(list.Path, MessageTypes.FileList);
        var entries = await io.RunAsync(() => root().List(path, list.Recursive, options.MaxListEntries), request.CancellationToken).ConfigureAwait(false);
        if (list.Sha256) entries = await HashAsync(path, entries, request.CancellationToken).ConfigureAwait(false);
        var body = JsonSerializer.SerializeToUtf8Bytes(new FileListing { Path = path, Entries = entries }, FilesJsonContext.Default.FileListing);
        await request.ReplyAsync(MessageTypes.FileList, body, request.CancellationToken).ConfigureAwait(false);
    }

    // Each regular file is opened through the root like a download (sandboxed, links checked, FIFOs refused) and
    // hashed; one that cannot be read (gone, not regular) keeps no hash, which a client reads as "differs".
    private async Task<List<FileEntry>> HashAsync(string path, List<FileEntry> entries, CancellationToken cancellationToken)
    {
        var top = path.Trim('/') is "" or "." ? "" : path.Trim('/') + "/";
        var hashed = new List<FileEntry>(entries.Count);
        foreach (var entry in entries)
        {
            if (entry.Kind != FileKinds.File)
            {
                hashed.Add(entry);
                continue;
            }
            string? sha = null;
            try
            {
                var opened = await io.RunAsync(() => root().OpenRead(top + entry.Name), cancellationToken).ConfigureAwait(false);
                using (opened.Handle)
                {
                    using var hash = Sha256Hex.Create();
                    await Sha256Hex.AppendPrefixAsync(hash, opened.Handle, RandomAccess.GetLength(opened.Handle), cancellationToken).ConfigureAwait(false);
                    sha = Sha256Hex.Of(hash);
                }
            }
            catch (Exception ex) when (ex is FerryException or EndOfStreamException || FileErrors.IsFileSystemFailure(ex))
            {
                // Left without a hash.
            }
            hashed.Add(entry with { Sha256 = sha });
        }
        return hashed;
    }

    public async ValueTask StatAsync(RequestContext request, FileRequestScope scope)
    {
        var stat = request.Read(FilesJsonContext.Default.FilePathRequest);
        var path = scope.Path = FileSandbox.RequirePath(stat.Path, MessageTypes.FileStat);
        var entry = await io.RunAsync(() => root().Stat(path), request.CancellationToken).ConfigureAwait(false);
        await request.ReplyAsync(MessageTypes.FileStat, entry, FilesJsonContext.Default.FileEntry, request.CancellationToken).ConfigureAwait(false);
    }

    public async ValueTask RemoveAsync(RequestContext request, FileRequestScope scope)
    {
        var remove = request.Read(FilesJsonContext.Default.FilePathRequest);
        var path = scope.Path = FileSandbox.RequirePath(remove.Path, MessageTypes.FileRemove);
        await io.RunAsync(() => root().Remove(path, remove.Recursive), request.CancellationToken).ConfigureAwait(false);
        await request.ReplyAsync(MessageTypes.Ok, request.CancellationToken).ConfigureAwait(false);
    }

    public async ValueTask MakeDirectoryAsync(RequestContext request, FileRequestScope scope)
    {
        var mkdir = request.Read(FilesJsonContext.Default.FilePathRequest);
        var path = scope.Path = FileSandbox.RequirePath(mkdir.Path, MessageTypes.FileMkdir);
        await io.RunAsync(() => root().MakeDirectory(path, mkdir.Parents), request.CancellationToken).ConfigureAwait(false);
        await request.ReplyAsync(MessageTypes.Ok, request.CancellationToken).ConfigureAwait(false);
    }
}

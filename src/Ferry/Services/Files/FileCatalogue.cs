using System.Text.Json;
using Ferry.Protocol;
using Ferry.Server;
using Ferry.Contracts.Files;

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
        var body = JsonSerializer.SerializeToUtf8Bytes(new FileListing { Path = path, Entries = entries }, FilesJsonContext.Default.FileListing);
        await request.ReplyAsync(MessageTypes.FileList, body, request.CancellationToken).ConfigureAwait(false);
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

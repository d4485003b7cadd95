using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Server;
using Ferry.Transfers;

namespace Ferry.Services.Files;

/// <summary>
/// Downloads (<c>file.get</c>): the file is announced with <c>file.ready</c>, streamed as <c>file.data</c> in the
/// background and closed with <c>file.done</c> carrying its SHA-256. A client's partial copy is built on only if its
/// hash matches the file's start.
/// </summary>
internal sealed class FileDownloads(Func<FileSandbox> sandbox)
{
    public ValueTask GetAsync(ServerRequest request, FileRequestScope scope)
    {
        var get = request.Read(FilesJsonContext.Default.FileGetRequest);
        scope.Path = get.Path;
        var target = sandbox().Resolve(get.Path);
        if (Directory.Exists(target.RealPath))
        {
            throw new FerryException(ProtocolError.BadRequest, $"'{FileSandbox.Printable(get.Path)}' is a folder; use -r to copy folders");
        }
        var source = new SourceFile(File.OpenHandle(target.RealPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan));
        var connection = request.Connection;
        long id = request.Id;
        try
        {
            request.Session.StartBackground(id, async ct =>
            {
                await using var _ = source.ConfigureAwait(false);
                try
                {
                    await SendAsync(connection, id, source, target.RealPath, get, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (FileErrors.IsFileSystemFailure(ex) && !connection.Closed.IsCancellationRequested)
                {
                    throw FileErrors.Map(ex, get.Path);
                }
            });
        }
        catch
        {
            source.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        return ValueTask.CompletedTask;
    }

    private static async Task SendAsync(FrameConnection connection, long id, SourceFile source, string path, FileGetRequest get, CancellationToken ct)
    {
        await source.ResumeAsync(get.Offset, get.PrefixSha256, ct).ConfigureAwait(false);
        await connection.SendAsync(MessageTypes.FileReady, id, new FileReady
        {
            Offset = source.Offset,
            Length = source.Length,
            Mtime = FileMetadata.ToUnixMilliseconds(File.GetLastWriteTimeUtc(path)),
            Mode = FileMetadata.ModeOf(path),
        }, FilesJsonContext.Default.FileReady, ct).ConfigureAwait(false);
        var sha = await source.SendAsync(connection, id, cancellationToken: ct).ConfigureAwait(false);
        await connection.SendAsync(MessageTypes.FileDone, id, new FileDone { Sha256 = sha }, FilesJsonContext.Default.FileDone, ct).ConfigureAwait(false);
    }
}

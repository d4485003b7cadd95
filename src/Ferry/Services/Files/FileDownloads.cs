using Ferry.Protocol;
using Ferry.Server;
using Ferry.Transfers;
using Ferry.Contracts.Files;

namespace Ferry.Services.Files;

/// <summary>
/// Downloads (<c>file.get</c>): the file is announced with <c>file.ready</c>, streamed as <c>file.data</c> in the
/// background and closed with <c>file.done</c> carrying its SHA-256. A client's partial copy is built on only if its
/// hash matches the file's start.
/// </summary>
internal sealed class FileDownloads(FilesOptions options, Func<FileRoot> root, FileIo io)
{
    private static readonly ConnectionState<DownloadSlots> s_slots = new(static _ => new DownloadSlots());
    private int _streaming; // across all connections


    public ValueTask GetAsync(RequestContext request, FileRequestScope scope)
    {
        var get = request.Read(FilesJsonContext.Default.FileGetRequest);
        scope.Path = FileSandbox.RequirePath(get.Path, MessageTypes.FileGet);
        if (get.Offset < 0) throw new FerryException(ProtocolError.BadRequest, "file.get 'offset' must not be negative");
        var slots = request.GetState(s_slots);
        if (!slots.TryTake(options.MaxDownloadsPerConnection))
        {
            throw new FerryException(ProtocolError.Busy, $"this connection already has {options.MaxDownloadsPerConnection} downloads streaming; read them (or cancel some) first");
        }
        if (Interlocked.Increment(ref _streaming) > options.MaxDownloads)
        {
            Interlocked.Decrement(ref _streaming);
            slots.Return();
            throw new FerryException(ProtocolError.Busy, $"the server is streaming {options.MaxDownloads} downloads already; try again shortly");
        }
        var transfers = request.Session.Stats.Counter(ServerStats.TransfersInProgress);
        try
        {
            transfers.Increment();
            // The file is opened in the background work, on the thread pool: never on the connection's read loop.
            request.StartBackground(async ct =>
            {
                try
                {
                    // Resolved and opened in one step, non-blocking and regular files only (a FIFO cannot hold the thread).
                    var opened = await io.RunAsync(() => root().OpenRead(get.Path), ct).ConfigureAwait(false);
                    var source = new SourceFile(opened.Handle);
                    await using var _ = source.ConfigureAwait(false);
                    await SendAsync(request, source, opened, get, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (FileErrors.IsFileSystemFailure(ex) && !request.CancellationToken.IsCancellationRequested)
                {
                    throw FileErrors.Map(ex, get.Path);
                }
                finally
                {
                    transfers.Decrement();
                    Interlocked.Decrement(ref _streaming);
                    slots.Return();
                }
            });
        }
        catch
        {
            transfers.Decrement();
            Interlocked.Decrement(ref _streaming);
            slots.Return();
            throw;
        }
        return ValueTask.CompletedTask;
    }

    // The downloads streaming on one connection.
    private sealed class DownloadSlots
    {
        private int _taken;

        public bool TryTake(int limit)
        {
            if (Interlocked.Increment(ref _taken) <= limit) return true;
            Interlocked.Decrement(ref _taken);
            return false;
        }

        public void Return() => Interlocked.Decrement(ref _taken);
    }

    private static async Task SendAsync(RequestContext request, SourceFile source, OpenedFile opened, FileGetRequest get, CancellationToken ct)
    {
        await source.ResumeAsync(get.Offset, get.PrefixSha256, ct).ConfigureAwait(false);
        await request.SendAsync(MessageTypes.FileReady, new FileReady
        {
            Offset = source.Offset,
            Length = source.Length,
            Mtime = opened.MtimeMilliseconds,
            Mode = opened.Mode,
        }, FilesJsonContext.Default.FileReady, ct).ConfigureAwait(false);
        // file.data is written by the code the client's uploads share, straight into the connection's buffers.
        var sha = await source.SendAsync(request.Connection, request.Id, cancellationToken: ct).ConfigureAwait(false);
        // The id is free once file.done arrives (protocol.md §3.3): the reply frees it before it is sent.
        await request.ReplyAsync(MessageTypes.FileDone, new FileDone { Sha256 = sha }, FilesJsonContext.Default.FileDone, ct).ConfigureAwait(false);
    }
}

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


    /// <summary>The largest block signature a <c>file.get</c> with <c>delta</c> may carry.</summary>
    internal const int MaxSignatureBytes = BlockSignature.HeaderBytes + BlockSignature.MaxBlocks * (4 + BlockSignature.StrongBytes);

    public async ValueTask GetAsync(RequestContext request, FileRequestScope scope)
    {
        var get = request.Read(FilesJsonContext.Default.FileGetRequest);
        scope.Path = FileSandbox.RequirePath(get.Path, MessageTypes.FileGet);
        if (get.Offset < 0) throw new FerryException(ProtocolError.BadRequest, "file.get 'offset' must not be negative");
        BlockSignature? signature = null;
        if (get.Delta)
        {
            if (get.Offset != 0) throw new FerryException(ProtocolError.BadRequest, "file.get with 'delta' rebuilds the whole file: 'offset' must be 0");
            if (request.Body.Length is 0 or > MaxSignatureBytes)
            {
                throw new FerryException(ProtocolError.BadRequest, $"file.get with 'delta' carries the client's block signature in its body (1-{MaxSignatureBytes} bytes), not {request.Body.Length}");
            }
            var bytes = await request.Body.ReadAllAsync(MaxSignatureBytes, request.CancellationToken).ConfigureAwait(false);
            signature = ParseSignature(bytes);
        }
        StartDownload(request, get, signature);
    }

    // A peer's signature: checked whole (header in range, exactly one entry per block) before anything is built on it.
    private static BlockSignature ParseSignature(byte[] bytes)
    {
        var reader = new System.Buffers.SequenceReader<byte>(new System.Buffers.ReadOnlySequence<byte>(bytes));
        if (!BlockSignature.TryRead(ref reader, out var signature))
        {
            throw new FerryException(ProtocolError.BadRequest,
                $"the block signature is malformed: a block size of {BlockSignature.MinBlockBytes}-{BlockSignature.MaxBlockBytes}, at most {BlockSignature.MaxBlocks} blocks, and exactly one 20-byte entry per block");
        }
        return signature!;
    }

    /// <summary>
    /// <c>file.sig</c>: the block signature of a file (docs/protocol.md §5.4.4), computed in the background and sent
    /// as the body of <c>ok</c>. It reads the whole file, so it takes a download slot while it runs.
    /// </summary>
    public ValueTask SignatureAsync(RequestContext request, FileRequestScope scope)
    {
        var ask = request.Read(FilesJsonContext.Default.FilePathRequest);
        scope.Path = FileSandbox.RequirePath(ask.Path, MessageTypes.FileSig);
        RunInSlot(request, ask.Path, async ct =>
        {
            var opened = await io.RunAsync(() => root().OpenRead(ask.Path), ct).ConfigureAwait(false);
            using var handle = opened.Handle;
            long length = RandomAccess.GetLength(handle);
            int blockSize = BlockSignature.ChooseBlockSize(length);
            if (!BlockSignature.Fits(length, blockSize))
            {
                throw new FerryException(ProtocolError.Unsupported, $"'{FileSandbox.Printable(ask.Path)}' is too large for a delta ({length} bytes); send it whole");
            }
            var signature = await BlockSignature.ComputeAsync(handle, length, blockSize, ct).ConfigureAwait(false);
            await request.ReplyAsync(MessageTypes.Ok, signature.ToArray(), ct).ConfigureAwait(false);
        });
        return ValueTask.CompletedTask;
    }

    private void StartDownload(RequestContext request, FileGetRequest get, BlockSignature? signature) =>
        RunInSlot(request, get.Path, async ct =>
        {
            // Resolved and opened in one step, non-blocking and regular files only (a FIFO cannot hold the thread).
            var opened = await io.RunAsync(() => root().OpenRead(get.Path), ct).ConfigureAwait(false);
            var source = new SourceFile(opened.Handle);
            await using var _ = source.ConfigureAwait(false);
            // Asked for and known: every body that shrinks goes compressed (file.ready says so; an unknown ask goes plain).
            using var compressor = FileCompression.IsKnown(get.Compress) ? new BodyCompressor() : null;
            if (signature is null) await SendAsync(request, source, opened, get, compressor, ct).ConfigureAwait(false);
            else await SendDeltaAsync(request, source, opened, signature, compressor, ct).ConfigureAwait(false);
        });

    // Background work that reads a file: counted against the per-connection and server-wide download limits.
    private void RunInSlot(RequestContext request, string path, Func<CancellationToken, Task> work)
    {
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
                    await work(ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (FileErrors.IsFileSystemFailure(ex) && !request.CancellationToken.IsCancellationRequested)
                {
                    throw FileErrors.Map(ex, path);
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

    // The delta against the client's signature: copy instructions for its blocks found in the file, literal data for the rest.
    private static async Task SendDeltaAsync(RequestContext request, SourceFile source, OpenedFile opened, BlockSignature signature,
        BodyCompressor? compressor, CancellationToken ct)
    {
        await request.SendAsync(MessageTypes.FileReady, new FileReady
        {
            Length = source.Length,
            Mtime = opened.MtimeMilliseconds,
            Mode = opened.Mode,
            Delta = true,
            Compress = compressor is null ? null : FileCompression.Zstd,
        }, FilesJsonContext.Default.FileReady, ct).ConfigureAwait(false);
        using var hash = Sha256Hex.Create();
        var matcher = new DeltaMatcher(signature);
        var data = new FileData();
        await matcher.MatchAsync(source.Handle, source.Length, hash, (body, token) =>
            compressor is not null && compressor.TryCompress(body.Span, out var packed)
                ? request.SendAsync(MessageTypes.FileData, new FileData { Zstd = body.Length }, FilesJsonContext.Default.FileData, packed, token)
                : request.SendAsync(MessageTypes.FileData, data, FilesJsonContext.Default.FileData, body, token), ct).ConfigureAwait(false);
        await request.ReplyAsync(MessageTypes.FileDone, new FileDone { Sha256 = Sha256Hex.Of(hash) }, FilesJsonContext.Default.FileDone, ct).ConfigureAwait(false);
    }

    private static async Task SendAsync(RequestContext request, SourceFile source, OpenedFile opened, FileGetRequest get, BodyCompressor? compressor,
        CancellationToken ct)
    {
        await source.ResumeAsync(get.Offset, get.PrefixSha256, ct).ConfigureAwait(false);
        await request.SendAsync(MessageTypes.FileReady, new FileReady
        {
            Offset = source.Offset,
            Length = source.Length,
            Mtime = opened.MtimeMilliseconds,
            Mode = opened.Mode,
            Compress = compressor is null ? null : FileCompression.Zstd,
        }, FilesJsonContext.Default.FileReady, ct).ConfigureAwait(false);
        // file.data is written by the code the client's uploads share, straight into the connection's buffers.
        var sha = await source.SendAsync(request.Connection, request.Id, compressor: compressor, cancellationToken: ct).ConfigureAwait(false);
        // The id is free once file.done arrives (protocol.md §3.3): the reply frees it before it is sent.
        await request.ReplyAsync(MessageTypes.FileDone, new FileDone { Sha256 = sha }, FilesJsonContext.Default.FileDone, ct).ConfigureAwait(false);
    }
}

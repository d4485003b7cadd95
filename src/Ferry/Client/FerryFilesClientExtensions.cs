using System.Diagnostics;
using System.Text.Json;
using Ferry.Protocol;
using Ferry.Contracts.Files;
using Ferry.Transfers;

namespace Ferry.Client;

/// <summary>File transfer from the client side (docs/protocol.md §5.4): verified, resumable uploads and downloads.</summary>
public static class FerryFilesClientExtensions
{
    /// <summary>Files smaller than this go whole even with <see cref="FileTransferOptions.Delta"/>: the round trip for the signature costs more than it saves.</summary>
    internal const long DeltaMinimumBytes = 1024 * 1024;

    /// <summary>
    /// Uploads <paramref name="localPath"/> to <paramref name="remotePath"/>. The file is hashed while it streams; the
    /// server renames it into place only if its hash matches. With <see cref="FileTransferOptions.Resume"/>, bytes the
    /// server kept from an earlier attempt are checked by hash and not sent again.
    /// </summary>
    public static async Task<FileTransferResult> UploadAsync(this FerryClient client, string localPath, string remotePath,
        FileTransferOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FileTransferOptions();
        var clock = Stopwatch.StartNew();
        var fullPath = Path.GetFullPath(localPath);
        if (new FileInfo(fullPath) is { Exists: true, Length: <= FileLimits.InlineBytes }
            && await TryUploadWholeAsync(client, fullPath, remotePath, options, clock, cancellationToken).ConfigureAwait(false) is { } whole)
        {
            return whole;
        }
        var source = SourceFile.Open(fullPath);
        await using var _ = source.ConfigureAwait(false);
        long size = source.Length;
        var lastWrite = File.GetLastWriteTimeUtc(fullPath);
        if (options.Delta && size >= DeltaMinimumBytes
            && await TryUploadDeltaAsync(client, source, fullPath, remotePath, lastWrite, options, clock, cancellationToken).ConfigureAwait(false) is { } delta)
        {
            return delta;
        }
        long id = client.NextId();
        var sink = new UploadSink();
        client.Register(id, sink);
        bool sending = false;
        try
        {
            // The server hashes any partial copy it kept before it answers: say so rather than sit at 0 %.
            if (options.Resume) options.Progress?.Invoke(new FileTransferProgress(remotePath, 0, size) { Checking = true });
            await client.Connection.SendAsync(MessageTypes.FilePut, id, PutRequest(remotePath, fullPath, size, lastWrite, options) with
            {
                Resume = options.Resume,
                Key = PartNames.KeyFor(fullPath, size, lastWrite),
            }, FilesJsonContext.Default.FilePutRequest, cancellationToken).ConfigureAwait(false);
            var ready = await sink.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
            sending = true;
            // Compressed only when the server's file.ready agreed (an older server ignores the ask and gets plain data).
            using var compressor = CompressorFor(ready);

            // Build on the server's partial copy only if it is the start of this file.
            if (ready.Offset > 0) options.Progress?.Invoke(new FileTransferProgress(remotePath, ready.Offset, size) { Checking = true });
            bool restarted = ready.Offset > 0 && !await source.ResumeAsync(ready.Offset, ready.PrefixSha256, cancellationToken).ConfigureAwait(false);
            long offset = source.Offset;
            options.Progress?.Invoke(new FileTransferProgress(remotePath, offset, size));
            var sha = await source.SendAsync(client.Connection, id, sink.ThrowIfFailed,
                options.Progress is { } progress ? position => progress(new FileTransferProgress(remotePath, position, size)) : null,
                compressor, cancellationToken).ConfigureAwait(false);
            sending = false;
            await client.Connection.SendAsync(MessageTypes.FileDone, id, new FileDone { Sha256 = sha }, FilesJsonContext.Default.FileDone, cancellationToken).ConfigureAwait(false);
            var result = await sink.Result.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new FileTransferResult(remotePath, fullPath, size, size - offset, result.Sha256, offset, restarted, clock.Elapsed)
            {
                Compressed = compressor is not null,
                WireBytes = compressor?.OutputBytes ?? size - offset,
            };
        }
        catch (Exception ex) when (sending && ex is not FerryException)
        {
            // Local trouble (or Ctrl+C) mid-upload: tell the server to keep the .part for a later --resume.
            await TryAbortUploadAsync(client, id).ConfigureAwait(false);
            throw;
        }
        finally
        {
            client.Unregister(id);
        }
    }

    /// <summary>
    /// A delta upload: the server's signature of its copy (<c>file.sig</c>), then <c>file.put</c> with <c>delta</c> and
    /// the instructions as <c>file.data</c>. Returns null when the server has no copy to build on (the file goes whole then).
    /// </summary>
    private static async Task<FileTransferResult?> TryUploadDeltaAsync(FerryClient client, SourceFile source, string fullPath, string remotePath,
        DateTime lastWrite, FileTransferOptions options, Stopwatch clock, CancellationToken cancellationToken)
    {
        options.Progress?.Invoke(new FileTransferProgress(remotePath, 0, source.Length) { Checking = true });
        BlockSignature signature;
        try
        {
            var answer = await client.RequestAsync<FilePathRequest, FilePathRequest>(MessageTypes.FileSig, new FilePathRequest { Path = remotePath },
                FilesJsonContext.Default.FilePathRequest, null, cancellationToken).ConfigureAwait(false);
            signature = ParseSignature(answer.Body);
        }
        catch (FerryException ex) when (ex.Error is ProtocolError.NotFound or ProtocolError.Unsupported or ProtocolError.UnknownType)
        {
            return null;
        }
        long size = source.Length;
        long id = client.NextId();
        var sink = new UploadSink();
        client.Register(id, sink);
        bool sending = false;
        try
        {
            await client.Connection.SendAsync(MessageTypes.FilePut, id, PutRequest(remotePath, fullPath, size, lastWrite, options) with
            {
                Key = PartNames.KeyFor(fullPath, size, lastWrite),
                Delta = new FileDeltaBasis { BlockSize = signature.BlockSize, Length = signature.Length },
            }, FilesJsonContext.Default.FilePutRequest, cancellationToken).ConfigureAwait(false);
            var ready = await sink.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
            sending = true;
            using var compressor = CompressorFor(ready);
            using var hash = Sha256Hex.Create();
            var matcher = new DeltaMatcher(signature);
            var data = new FileData();
            long wire = 0;
            await matcher.MatchAsync(source.Handle, size, hash, async (body, token) =>
            {
                sink.ThrowIfFailed();
                if (compressor is not null && compressor.TryCompress(body.Span, out var packed))
                {
                    await client.Connection.SendAsync(MessageTypes.FileData, id, new FileData { Zstd = body.Length }, FilesJsonContext.Default.FileData, packed, token).ConfigureAwait(false);
                    wire += packed.Length;
                }
                else
                {
                    await client.Connection.SendAsync(MessageTypes.FileData, id, data, FilesJsonContext.Default.FileData, body, token).ConfigureAwait(false);
                    wire += body.Length;
                }
                options.Progress?.Invoke(new FileTransferProgress(remotePath, Math.Min(size, matcher.LiteralBytes + matcher.MatchedBytes), size));
            }, cancellationToken).ConfigureAwait(false);
            sending = false;
            var sha = Sha256Hex.Of(hash);
            await client.Connection.SendAsync(MessageTypes.FileDone, id, new FileDone { Sha256 = sha }, FilesJsonContext.Default.FileDone, cancellationToken).ConfigureAwait(false);
            var result = await sink.Result.WaitAsync(cancellationToken).ConfigureAwait(false);
            options.Progress?.Invoke(new FileTransferProgress(remotePath, size, size));
            return new FileTransferResult(remotePath, fullPath, size, wire, result.Sha256, 0, false, clock.Elapsed)
            {
                DeltaBasisBytes = matcher.MatchedBytes,
                Delta = true,
                Compressed = compressor is not null,
                WireBytes = wire + signature.WireBytes,
            };
        }
        catch (Exception ex) when (sending && ex is not FerryException)
        {
            await TryAbortUploadAsync(client, id).ConfigureAwait(false);
            throw;
        }
        finally
        {
            client.Unregister(id);
        }
    }

    // What every kind of upload says about the file; each adds its own fields (resume key, delta basis, inline hash).
    private static FilePutRequest PutRequest(string remotePath, string fullPath, long size, DateTime lastWrite, FileTransferOptions options) => new()
    {
        Path = remotePath,
        Length = size,
        Mtime = FileMetadata.ToUnixMilliseconds(lastWrite),
        Mode = FileMetadata.ModeOf(fullPath),
        Force = options.Force,
        Compress = options.Compress ? FileCompression.Zstd : null,
    };

    // The receiver's file.ready decides: compress only what it agreed to take compressed.
    private static BodyCompressor? CompressorFor(FileReady ready) => FileCompression.IsKnown(ready.Compress) ? new BodyCompressor() : null;

    // Whether this server reads compressed bodies at all (its hello lists zstd): a whole-file put has no file.ready to agree in.
    private static bool ServerReadsZstd(FerryClient client) => client.ServerHello.Compress?.Contains(FileCompression.Zstd) == true;

    private static BlockSignature ParseSignature(ReadOnlyMemory<byte> bytes)
    {
        var reader = new System.Buffers.SequenceReader<byte>(new System.Buffers.ReadOnlySequence<byte>(bytes));
        return BlockSignature.TryRead(ref reader, out var signature)
            ? signature!
            : throw new FerryException(ProtocolError.BadRequest, "the server sent a malformed block signature");
    }

    /// <summary>
    /// A small file travels whole in its <c>file.put</c> frame, hash included: one frame each way, nothing to resume.
    /// Returns null when the file grew past <see cref="FileLimits.InlineBytes"/> since it was looked at (it is streamed then).
    /// </summary>
    private static async Task<FileTransferResult?> TryUploadWholeAsync(FerryClient client, string fullPath, string remotePath,
        FileTransferOptions options, Stopwatch clock, CancellationToken cancellationToken)
    {
        byte[] bytes;
        DateTime lastWrite;
        var handle = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using (handle)
        {
            long length = RandomAccess.GetLength(handle);
            if (length > FileLimits.InlineBytes) return null;
            bytes = new byte[length];
            int read = 0;
            while (read < bytes.Length)
            {
                int n = await RandomAccess.ReadAsync(handle, bytes.AsMemory(read), read, cancellationToken).ConfigureAwait(false);
                if (n == 0) throw new FileChangedException(read, bytes.Length);
                read += n;
            }
            lastWrite = File.GetLastWriteTimeUtc(handle);
        }
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        options.Progress?.Invoke(new FileTransferProgress(remotePath, 0, bytes.Length));
        var put = PutRequest(remotePath, fullPath, bytes.Length, lastWrite, options) with { Sha256 = sha, Compress = null };
        ReadOnlyMemory<byte> body = bytes;
        if (options.Compress && ServerReadsZstd(client))
        {
            // Compressed in place of the file when the server reads zstd and it shrinks; the hash stays the file's. The
            // context goes back at once (many small files are in flight), the compressed copy travels.
            using var compressor = new BodyCompressor();
            if (compressor.TryCompress(bytes, out var packed))
            {
                body = packed.ToArray();
                put = put with { Zstd = bytes.Length };
            }
        }
        var response = await client.RequestAsync(MessageTypes.FilePut, put, FilesJsonContext.Default.FilePutRequest, FilesJsonContext.Default.FileResult,
            body, cancellationToken).ConfigureAwait(false);
        options.Progress?.Invoke(new FileTransferProgress(remotePath, bytes.Length, bytes.Length));
        return new FileTransferResult(remotePath, fullPath, bytes.Length, bytes.Length, response.Payload?.Sha256 ?? sha, 0, false, clock.Elapsed)
        {
            Compressed = put.Zstd is not null,
            WireBytes = body.Length,
        };
    }

    /// <summary>
    /// Downloads <paramref name="remotePath"/> into <paramref name="localPath"/>: data goes into <c>LOCAL.part</c>,
    /// is hashed as it arrives, and takes the final name only if it matches the server's hash. With
    /// <see cref="FileTransferOptions.Resume"/>, an existing <c>.part</c> is offered to the server, which checks it by hash.
    /// </summary>
    public static async Task<FileTransferResult> DownloadAsync(this FerryClient client, string remotePath, string localPath,
        FileTransferOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FileTransferOptions();
        var clock = Stopwatch.StartNew();
        var fullPath = Path.GetFullPath(localPath);
        if (Directory.Exists(fullPath)) throw new FerryException(ProtocolError.AlreadyExists, $"'{localPath}' is a folder here");
        if (File.Exists(fullPath) && !options.Force)
        {
            throw new FerryException(ProtocolError.AlreadyExists, $"'{localPath}' already exists here; use --force to overwrite it");
        }
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var partPath = PartNames.ForDownload(fullPath);
        if (options.Resume && new FileInfo(partPath) is { Exists: true, Length: > 0 } kept)
        {
            // Hashing the kept bytes (here, then on the server) takes a while for a big file.
            options.Progress?.Invoke(new FileTransferProgress(remotePath, kept.Length, 0) { Checking = true });
        }
        // A delta builds on the file already here (opened before the .part, read only, closed when the transfer ends).
        Microsoft.Win32.SafeHandles.SafeFileHandle? basis = null;
        BlockSignature? signature = null;
        if (options.Delta && new FileInfo(fullPath) is { Exists: true, Length: >= DeltaMinimumBytes } here
            && BlockSignature.Fits(here.Length, BlockSignature.ChooseBlockSize(here.Length)))
        {
            options.Progress?.Invoke(new FileTransferProgress(remotePath, 0, 0) { Checking = true });
            basis = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            try
            {
                long length = RandomAccess.GetLength(basis);
                signature = await BlockSignature.ComputeAsync(basis, length, BlockSignature.ChooseBlockSize(length), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                basis.Dispose();
                throw;
            }
        }
        using var _ = basis;
        var writer = await OpenLocalPartAsync(partPath, options.Resume && signature is null, cancellationToken).ConfigureAwait(false);
        long offset = writer.Position;
        (FileReady Ready, string Actual, bool Restarted) outcome;
        DownloadSink? finished = null;
        try
        {
            var delta = signature is null ? null : new DeltaBasis(basis!, signature);
            outcome = await ReceiveAsync(client, remotePath, writer, writer.PrefixSha256, options.Progress, cancellationToken, delta, s => finished = s, options.Compress).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            if (ex is FerryException { Error: ProtocolError.HashMismatch })
            {
                File.Delete(partPath);
                throw new FerryException(ProtocolError.HashMismatch,
                    $"'{remotePath}' arrived damaged (SHA-256 mismatch); it was discarded and '{localPath}' was not written", ex);
            }
            // Keep what arrived for --resume, but leave no empty .part behind.
            if (File.Exists(partPath) && new FileInfo(partPath).Length == 0) File.Delete(partPath);
            throw;
        }
        await writer.DisposeAsync().ConfigureAwait(false);
        FileMetadata.Apply(partPath, outcome.Ready.Mtime, outcome.Ready.Mode);
        File.Move(partPath, fullPath, overwrite: options.Force);
        long resumedFrom = outcome.Restarted ? 0 : offset;
        bool wasCompressed = FileCompression.IsKnown(outcome.Ready.Compress);
        if (outcome.Ready.Delta)
        {
            return new FileTransferResult(remotePath, fullPath, outcome.Ready.Length, finished!.BodyBytes, outcome.Actual, 0, false, clock.Elapsed)
            {
                DeltaBasisBytes = finished.DeltaBasisBytes,
                Delta = true,
                Compressed = wasCompressed,
                WireBytes = finished.BodyBytes + signature!.WireBytes,
            };
        }
        return new FileTransferResult(remotePath, fullPath, outcome.Ready.Length, outcome.Ready.Length - resumedFrom, outcome.Actual, resumedFrom, outcome.Restarted, clock.Elapsed)
        {
            Compressed = wasCompressed,
            WireBytes = finished!.BodyBytes,
        };
    }

    /// <summary>
    /// Downloads <paramref name="remotePath"/> into <paramref name="destination"/> (say, standard output) as the bytes
    /// arrive, hashing them. A stream cannot be rewound, so there is no resume, and a damaged transfer is reported
    /// (<see cref="ProtocolError.HashMismatch"/>) only after its bytes were written: the caller must not trust them then.
    /// <see cref="FileTransferOptions.Force"/> and <see cref="FileTransferOptions.Resume"/> do not apply.
    /// </summary>
    public static async Task<FileTransferResult> DownloadAsync(this FerryClient client, string remotePath, Stream destination,
        FileTransferOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var clock = Stopwatch.StartNew();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, client.Connection.Closed);
        using var target = new StreamReceiveTarget(destination, abort.Token);
        DownloadSink? finished = null;
        var outcome = await ReceiveAsync(client, remotePath, target, prefixSha256: null, options?.Progress, cancellationToken,
            finished: s => finished = s, compressed: options?.Compress == true).ConfigureAwait(false);
        return new FileTransferResult(remotePath, "-", outcome.Ready.Length, outcome.Ready.Length, outcome.Actual, 0, false, clock.Elapsed)
        {
            Compressed = FileCompression.IsKnown(outcome.Ready.Compress),
            WireBytes = finished!.BodyBytes,
        };
    }

    // One file.get into a target; throws HashMismatch when what arrived is not what the server sent.
    private static async Task<(FileReady Ready, string Actual, bool Restarted)> ReceiveAsync(FerryClient client, string remotePath, IReceiveTarget target,
        string? prefixSha256, Action<FileTransferProgress>? progress, CancellationToken cancellationToken, DeltaBasis? delta = null,
        Action<DownloadSink>? finished = null, bool compressed = false)
    {
        var compress = compressed ? FileCompression.Zstd : null;
        var sink = new DownloadSink(target, remotePath, progress, delta);
        finished?.Invoke(sink);
        long id = client.NextId();
        (FileReady Ready, string Expected, string Actual) outcome;
        try
        {
            client.Register(id, sink);
            if (delta is null)
            {
                await client.Connection.SendAsync(MessageTypes.FileGet, id, new FileGetRequest { Path = remotePath, Offset = target.Position, PrefixSha256 = prefixSha256, Compress = compress },
                    FilesJsonContext.Default.FileGetRequest, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await client.Connection.SendAsync(MessageTypes.FileGet, id, new FileGetRequest { Path = remotePath, Delta = true, Compress = compress },
                    FilesJsonContext.Default.FileGetRequest, delta.Signature.ToArray(), cancellationToken).ConfigureAwait(false);
            }
            outcome = await sink.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A server refusal means nothing is streaming; anything else (Ctrl+C, a local error) may be mid-stream.
            if (ex is not FerryException { Error: ProtocolError.NotFound or ProtocolError.BadPath or ProtocolError.Forbidden })
            {
                await client.TrySendCancelAsync(id).ConfigureAwait(false);
            }
            throw;
        }
        finally
        {
            client.Unregister(id);
        }
        if (!Sha256Hex.Same(outcome.Expected, outcome.Actual))
        {
            throw new FerryException(ProtocolError.HashMismatch, $"'{remotePath}' arrived damaged (SHA-256 mismatch)");
        }
        return (outcome.Ready, outcome.Actual, sink.Restarted);
    }

    // The .part cannot be created: name the folder and the cause. (/proc/sys, say, refuses new files with ENOENT, which
    // .NET reports as "Could not find file 'NAME.part'": a file the user never named, and the wrong problem.)
    private const int ReadOnlyFileSystem = 30; // EROFS, the errno .NET puts in the IOException's HResult on Unix

    private static async Task<PartFile> OpenLocalPartAsync(string partPath, bool resume, CancellationToken cancellationToken)
    {
        try
        {
            return await PartFile.OpenAsync(partPath, resume, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or FileNotFoundException or DirectoryNotFoundException
            || (ex is IOException && ex.HResult == ReadOnlyFileSystem))
        {
            string cause = ex switch
            {
                UnauthorizedAccessException => "permission denied",
                IOException { HResult: ReadOnlyFileSystem } => "read-only file system",
                _ => "it takes no new files",
            };
            throw new IOException($"cannot write into '{Path.GetDirectoryName(partPath)}': it is not writable ({cause})", ex);
        }
    }

    /// <summary>Lists a remote folder (or describes one file); <paramref name="recursive"/> walks sub-folders, naming entries by relative path.</summary>
    public static Task<IReadOnlyList<FileEntry>> ListAsync(this FerryClient client, string remotePath = "", bool recursive = false,
        CancellationToken cancellationToken = default) => ListAsync(client, remotePath, recursive, sha256: false, cancellationToken);

    /// <summary>
    /// Lists a remote folder; <paramref name="recursive"/> walks sub-folders, and with <paramref name="sha256"/> the server
    /// hashes each regular file and puts its SHA-256 in the entry (slow for big trees: it reads every byte).
    /// </summary>
    public static async Task<IReadOnlyList<FileEntry>> ListAsync(this FerryClient client, string remotePath, bool recursive, bool sha256,
        CancellationToken cancellationToken = default)
    {
        var response = await client.RequestAsync<FilePathRequest, FilePathRequest>(MessageTypes.FileList,
            new FilePathRequest { Path = remotePath, Recursive = recursive, Sha256 = sha256 }, FilesJsonContext.Default.FilePathRequest, null, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(response.Body, FilesJsonContext.Default.FileListing)?.Entries ?? [];
        }
        catch (JsonException ex)
        {
            throw new FerryException(ProtocolError.BadRequest, "the server sent a malformed file listing", ex);
        }
    }

    /// <summary>Describes one remote file or folder (links followed).</summary>
    public static async Task<FileEntry> StatAsync(this FerryClient client, string remotePath, CancellationToken cancellationToken = default)
    {
        var response = await client.RequestAsync(MessageTypes.FileStat, new FilePathRequest { Path = remotePath },
            FilesJsonContext.Default.FilePathRequest, FilesJsonContext.Default.FileEntry, cancellationToken).ConfigureAwait(false);
        return response.Payload!;
    }

    /// <summary>Removes a remote file, link or empty folder; <paramref name="recursive"/> removes a folder with its contents.</summary>
    public static Task RemoveAsync(this FerryClient client, string remotePath, bool recursive = false, CancellationToken cancellationToken = default) =>
        client.RequestAsync<FilePathRequest, FilePathRequest>(MessageTypes.FileRemove, new FilePathRequest { Path = remotePath, Recursive = recursive },
            FilesJsonContext.Default.FilePathRequest, null, cancellationToken);

    /// <summary>Creates a remote folder; <paramref name="parents"/> creates missing parents and accepts an existing folder.</summary>
    public static Task MakeDirectoryAsync(this FerryClient client, string remotePath, bool parents = false, CancellationToken cancellationToken = default) =>
        client.RequestAsync<FilePathRequest, FilePathRequest>(MessageTypes.FileMkdir, new FilePathRequest { Path = remotePath, Parents = parents },
            FilesJsonContext.Default.FilePathRequest, null, cancellationToken);

    private static async Task TryAbortUploadAsync(FerryClient client, long id)
    {
        try
        {
            using var quick = new CancellationTokenSource(client.Options.CloseGrace, client.Options.Time);
            await client.Connection.SendAsync(MessageTypes.FileDone, id, new FileDone { Abort = true }, FilesJsonContext.Default.FileDone, quick.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or Connections.ConnectionClosedException)
        {
            // The connection is going away; the server keeps the .part when it notices.
        }
    }
}

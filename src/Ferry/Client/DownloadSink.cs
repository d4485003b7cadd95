using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Contracts.Files;
using Ferry.Transfers;

namespace Ferry.Client;

/// <summary>A delta download's basis: the local copy, open for reading, and the signature sent of it.</summary>
internal sealed record DeltaBasis(Microsoft.Win32.SafeHandles.SafeFileHandle Handle, BlockSignature Signature);

/// <summary>
/// Receives one download on the client's read loop: <c>file.ready</c>, <c>file.data</c> chunks straight into the
/// target (a <c>.part</c> file or a stream) (the read loop waits for each write: that is the back-pressure), and <c>file.done</c> with the sender's hash.
/// Never throws into the read loop: failures complete <see cref="Completion"/> instead.
/// </summary>
internal sealed class DownloadSink : IResponseSink
{
    private readonly TaskCompletionSource<(FileReady Ready, string Expected, string Actual)> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IReceiveTarget _writer;
    private readonly string _name;
    private readonly Action<FileTransferProgress>? _progress;
    private readonly DeltaBasis? _basis;
    private FileReady? _ready;
    private DeltaApplier? _delta;
    private BodyDecompressor? _decompressor;

    public DownloadSink(IReceiveTarget writer, string name, Action<FileTransferProgress>? progress, DeltaBasis? basis = null)
    {
        _writer = writer;
        _name = name;
        _progress = progress;
        _basis = basis;
    }

    /// <summary>Body bytes received (for a delta, the delta's size).</summary>
    public long BodyBytes { get; private set; }

    /// <summary>Bytes a delta took from the local copy.</summary>
    public long DeltaBasisBytes => _delta?.CopiedBytes ?? 0;

    /// <summary>The announced file, the sender's SHA-256 and the SHA-256 of what was written.</summary>
    public Task<(FileReady Ready, string Expected, string Actual)> Completion => _done.Task;

    public FileReady? ReadyMessage => _ready;

    public bool Restarted { get; private set; }

    public async ValueTask OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
    {
        if (_done.Task.IsCompleted) return;
        try
        {
            if (ReferenceEquals(header.Type, MessageTypes.Error))
            {
                Release();
                Fail(ErrorFrames.ToException(header));
            }
            else if (ReferenceEquals(header.Type, MessageTypes.FileReady))
            {
                var ready = header.ReadPayload(FilesJsonContext.Default.FileReady);
                if (ready.Delta)
                {
                    var basis = _basis ?? throw new FerryException(ProtocolError.BadRequest, $"the server sent '{_name}' as a delta, which was not asked for");
                    if (ready.Length < 0 || _writer.Position != 0) throw new FerryException(ProtocolError.BadRequest, $"the server's delta for '{_name}' does not fit");
                    _delta = new DeltaApplier(basis.Handle, basis.Signature.Length, basis.Signature.BlockSize, _writer, ready.Length);
                }
                else if (ready.Offset != _writer.Position)
                {
                    if (ready.Offset != 0) throw new FerryException(ProtocolError.BadRequest, $"the server offered to resume '{_name}' at byte {ready.Offset}, but {_writer.Position} are here");
                    // Our partial copy was not the start of this file: start over.
                    await _writer.RestartAsync(cancellationToken).ConfigureAwait(false);
                    Restarted = true;
                }
                // The server agreed to compress: its bodies that shrank arrive as zstd frames.
                if (FileCompression.IsKnown(ready.Compress)) _decompressor ??= new BodyDecompressor();
                _ready = ready;
                _progress?.Invoke(new FileTransferProgress(_name, _writer.Position, ready.Length));
            }
            else if (ReferenceEquals(header.Type, MessageTypes.FileData))
            {
                var ready = _ready ?? throw new FerryException(ProtocolError.BadRequest, "file.data came before file.ready");
                var data = header.ReadPayload(FilesJsonContext.Default.FileData);
                BodyBytes += body.Length;
                if (data.Zstd is { } claimed)
                {
                    await WriteCompressedAsync(ready, data.Offset, claimed, body, cancellationToken).ConfigureAwait(false);
                    _progress?.Invoke(new FileTransferProgress(_name, _writer.Position, ready.Length));
                    return;
                }
                if (_delta is { } delta)
                {
                    await ApplyAsync(delta, body, cancellationToken).ConfigureAwait(false);
                    _progress?.Invoke(new FileTransferProgress(_name, _writer.Position, ready.Length));
                    return;
                }
                if (data.Offset != _writer.Position || body.Length > ready.Length - _writer.Position)
                {
                    throw new FerryException(ProtocolError.BadRequest, $"file.data for '{_name}' at byte {data.Offset} does not fit ({_writer.Position} of {ready.Length} written)");
                }
                while (body.Remaining > 0)
                {
                    var chunk = await body.ReadAtLeastAsync(PartFile.BatchBytes, cancellationToken).ConfigureAwait(false);
                    await _writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                    body.Advance(chunk.Length);
                }
                _progress?.Invoke(new FileTransferProgress(_name, _writer.Position, ready.Length));
            }
            else if (ReferenceEquals(header.Type, MessageTypes.FileDone))
            {
                var ready = _ready ?? throw new FerryException(ProtocolError.BadRequest, "file.done came before file.ready");
                var done = header.ReadPayload(FilesJsonContext.Default.FileDone);
                var actual = await _writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
                if (_writer.Position != ready.Length)
                {
                    throw new FerryException(ProtocolError.IoError, $"'{_name}' ended after {_writer.Position} of {ready.Length} bytes");
                }
                Release();
                _done.TrySetResult((ready, done.Sha256 ?? "", actual));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Release();
            Fail(ex);
        }
    }

    // One body of delta instructions, read whole (at most a chunk) and checked before it is carried out.
    private async ValueTask ApplyAsync(DeltaApplier delta, FrameBodyReader body, CancellationToken cancellationToken)
    {
        if (body.Length > TransferBuffers.ChunkBytes) throw new FerryException(ProtocolError.BadRequest, $"the server's delta for '{_name}' has a body of {body.Length} bytes, over the {TransferBuffers.ChunkBytes}-byte limit");
        if (body.Length == 0) return;
        var chunk = await body.ReadAtLeastAsync((int)body.Length, cancellationToken).ConfigureAwait(false);
        await ApplyInstructionsAsync(delta, chunk, cancellationToken).ConfigureAwait(false);
        body.Advance(chunk.Length);
    }

    private async ValueTask ApplyInstructionsAsync(DeltaApplier delta, System.Buffers.ReadOnlySequence<byte> instructions, CancellationToken cancellationToken)
    {
        try
        {
            await delta.ApplyAsync(instructions, cancellationToken).ConfigureAwait(false);
        }
        catch (DeltaException ex)
        {
            throw new FerryException(ProtocolError.BadRequest, $"the server's delta for '{_name}' was refused: {ex.Message}");
        }
    }

    // A compressed body: checked before it is read, decompressed into at most what it claims, then used like a plain one.
    private async ValueTask WriteCompressedAsync(FileReady ready, long offset, int claimed, FrameBodyReader body, CancellationToken cancellationToken)
    {
        var decompressor = _decompressor
            ?? throw new FerryException(ProtocolError.BadRequest, $"the server sent '{_name}' compressed ('zstd'), which was not agreed");
        ReadOnlyMemory<byte> bytes;
        try
        {
            BodyDecompressor.Check(body.Length, claimed);
            if (_delta is null && (offset != _writer.Position || claimed > ready.Length - _writer.Position))
            {
                throw new FerryException(ProtocolError.BadRequest, $"file.data for '{_name}' at byte {offset} does not fit ({_writer.Position} of {ready.Length} written)");
            }
            var chunk = await body.ReadAtLeastAsync((int)body.Length, cancellationToken).ConfigureAwait(false);
            bytes = decompressor.Decompress(chunk.Slice(0, body.Length), claimed);
            body.Advance(body.Length);
        }
        catch (CompressedBodyException ex)
        {
            throw new FerryException(ProtocolError.BadRequest, $"the server's data for '{_name}' was refused: {ex.Message}");
        }
        var sequence = new System.Buffers.ReadOnlySequence<byte>(bytes);
        if (_delta is { } delta) await ApplyInstructionsAsync(delta, sequence, cancellationToken).ConfigureAwait(false);
        else await _writer.WriteAsync(sequence, cancellationToken).ConfigureAwait(false);
    }

    // The decompression context goes back to the pool; only the read loop (this sink's frames) ever uses it.
    private void Release()
    {
        _decompressor?.Dispose();
        _decompressor = null;
    }

    public void Fail(Exception exception)
    {
        _done.TrySetException(exception);
        _ = _done.Task.Exception;
    }
}

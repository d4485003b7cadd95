using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;

namespace Ferry.Services.Files;

/// <summary>
/// The receiving end of a transfer: bytes arrive from the network into pooled chunks, and a separate task hashes
/// each chunk and writes it to the <c>.part</c> file, so network reads overlap with hashing and disk writes.
/// A bounded queue keeps memory flat and slows the network side when the disk is slower.
/// </summary>
public sealed class PartFileWriter : IAsyncDisposable
{
    private readonly FileStream _file;
    private readonly IncrementalHash _hash;
    private Channel<(byte[] Buffer, int Length)> _queue;
    private Task _drain;
    private byte[]? _current;
    private int _filled;

    /// <param name="file">The open <c>.part</c> file, positioned where new data goes.</param>
    /// <param name="hash">SHA-256 already fed with the bytes before that position.</param>
    public PartFileWriter(FileStream file, IncrementalHash hash)
    {
        _file = file;
        _hash = hash;
        Position = file.Position;
        _queue = NewQueue();
        _drain = DrainAsync(_queue.Reader);
    }

    /// <summary>Bytes accepted so far, counting any prefix kept from before.</summary>
    public long Position { get; private set; }

    /// <summary>The <c>.part</c> file.</summary>
    public FileStream File => _file;

    /// <summary>Copies <paramref name="data"/> into the queue; waits when the disk side is behind.</summary>
    public async ValueTask WriteAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken = default)
    {
        foreach (var segment in data)
        {
            var span = segment;
            while (!span.IsEmpty)
            {
                ThrowIfFailed();
                _current ??= ArrayPool<byte>.Shared.Rent(TransferBuffers.ChunkBytes);
                int n = Math.Min(span.Length, _current.Length - _filled);
                span.Span[..n].CopyTo(_current.AsSpan(_filled));
                _filled += n;
                span = span[n..];
                Position += n;
                if (_filled == _current.Length) await EnqueueCurrentAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes out what is queued and returns the SHA-256 (hex) of everything in the file.</summary>
    public async Task<string> CompleteAsync(CancellationToken cancellationToken = default)
    {
        await FlushQueueAsync(cancellationToken).ConfigureAwait(false);
        await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        return Sha256Hex.Of(_hash);
    }

    /// <summary>Throws away everything written: the file is emptied and the hash starts over.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await FlushQueueAsync(cancellationToken).ConfigureAwait(false);
        _file.SetLength(0);
        _file.Position = 0;
        _ = _hash.GetHashAndReset();
        Position = 0;
        _queue = NewQueue();
        _drain = DrainAsync(_queue.Reader);
    }

    /// <summary>Stops the disk task and closes the file; what was written stays (for resume).</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _drain.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        while (_queue.Reader.TryRead(out var item)) ArrayPool<byte>.Shared.Return(item.Buffer);
        if (_current is not null)
        {
            ArrayPool<byte>.Shared.Return(_current);
            _current = null;
        }
        try
        {
            await _file.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // A failed final flush (disk full); the error was already reported by the write that hit it.
        }
        _hash.Dispose();
    }

    private async Task FlushQueueAsync(CancellationToken cancellationToken)
    {
        if (_current is not null && _filled > 0) await EnqueueCurrentAsync(cancellationToken).ConfigureAwait(false);
        _queue.Writer.TryComplete();
        await _drain.ConfigureAwait(false);
    }

    private async ValueTask EnqueueCurrentAsync(CancellationToken cancellationToken)
    {
        var item = (_current!, _filled);
        _current = null;
        _filled = 0;
        try
        {
            await _queue.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            ArrayPool<byte>.Shared.Return(item.Item1);
            await _drain.ConfigureAwait(false); // throws the disk task's failure
            throw;
        }
    }

    private void ThrowIfFailed()
    {
        if (_drain.IsFaulted) _drain.GetAwaiter().GetResult();
    }

    private async Task DrainAsync(ChannelReader<(byte[] Buffer, int Length)> reader)
    {
        await Task.Yield();
        try
        {
            await foreach (var (buffer, length) in reader.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    _hash.AppendData(buffer, 0, length);
                    await _file.WriteAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch
        {
            // Stop accepting: the network side sees the failure on its next write.
            _queue.Writer.TryComplete();
            throw;
        }
    }

    private static Channel<(byte[] Buffer, int Length)> NewQueue() =>
        Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(TransferBuffers.Depth) { SingleReader = true, SingleWriter = true });
}

using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;

namespace Ferry.Services.Files;

/// <summary>
/// The sending end of a transfer: a task reads the file in large pooled chunks and hashes them, a few chunks ahead
/// of the network, so disk reads and hashing overlap with sending. The hash covers the whole file (the caller
/// feeds in any prefix that is not re-sent).
/// </summary>
public sealed class FileChunkReader : IAsyncDisposable
{
    private readonly Channel<(byte[] Buffer, int Length)> _queue =
        Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(TransferBuffers.Depth) { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Stream _file;
    private readonly IncrementalHash _hash;
    private readonly Task _fill;

    /// <param name="file">The open file, positioned at the first byte to send.</param>
    /// <param name="length">Bytes to send from there; a file that ends sooner is an error (it changed while being sent).</param>
    /// <param name="hash">SHA-256 already fed with the bytes before the position.</param>
    public FileChunkReader(Stream file, long length, IncrementalHash hash)
    {
        _file = file;
        _hash = hash;
        _fill = FillAsync(length, _stop.Token);
    }

    /// <summary>
    /// The next chunk, or null at the end. Hand it back with <see cref="Return"/> once sent.
    /// Throws the disk side's failure, if any.
    /// </summary>
    public async ValueTask<(byte[] Buffer, int Length)?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (await _queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false) && _queue.Reader.TryRead(out var chunk))
        {
            return chunk;
        }
        await _fill.ConfigureAwait(false);
        return null;
    }

    public static void Return(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);

    /// <summary>The SHA-256 (hex) of the whole file; valid once <see cref="ReadAsync"/> returned null.</summary>
    public string Sha256() => Sha256Hex.Of(_hash);

    private async Task FillAsync(long length, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            long left = length;
            while (left > 0)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(TransferBuffers.ChunkBytes);
                int filled = 0;
                int want = (int)Math.Min(left, TransferBuffers.ChunkBytes);
                try
                {
                    while (filled < want)
                    {
                        int n = await _file.ReadAsync(buffer.AsMemory(filled, want - filled), cancellationToken).ConfigureAwait(false);
                        if (n == 0) throw new FileChangedException(length - left + filled, length);
                        filled += n;
                    }
                    _hash.AppendData(buffer, 0, filled);
                    await _queue.Writer.WriteAsync((buffer, filled), cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }
                left -= filled;
            }
            _queue.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            _queue.Writer.TryComplete(ex);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _fill.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        while (_queue.Reader.TryRead(out var chunk)) ArrayPool<byte>.Shared.Return(chunk.Buffer);
        _stop.Dispose();
        _hash.Dispose();
    }
}

/// <summary>The file being sent got shorter than announced while it was read.</summary>
public sealed class FileChangedException(long got, long expected)
    : IOException($"the file changed while it was being sent (it ended after {got} of {expected} bytes)");

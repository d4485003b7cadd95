using System.Security.Cryptography;
using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Contracts.Files;
using Microsoft.Win32.SafeHandles;

namespace Ferry.Transfers;

/// <summary>
/// The sending end of a transfer: a byte range of a file goes out as <c>file.data</c> frames, read straight into
/// the connection's output buffers and hashed there, so each byte is copied once from the file and once to the
/// socket. The connection's flushes are the back-pressure; memory stays at the output buffer's size.
/// </summary>
internal static class FileDataSender
{
    /// <summary>
    /// Sends <paramref name="length"/> bytes of <paramref name="file"/> from <paramref name="offset"/> for request
    /// <paramref name="id"/>, feeding them into <paramref name="hash"/>. A file that ends early still completes the
    /// frame it was in (with zeros, so the connection stays usable), then throws <see cref="FileChangedException"/>.
    /// </summary>
    /// <param name="connection">The connection the frames go out on.</param>
    /// <param name="id">The request id the frames carry.</param>
    /// <param name="file">The open file, read at explicit offsets (its own position is not used).</param>
    /// <param name="offset">Where in the file to start.</param>
    /// <param name="length">How many bytes to send.</param>
    /// <param name="hash">Fed every byte sent, in order.</param>
    /// <param name="beforeFrame">Runs before each frame (say, to stop early when the peer already refused).</param>
    /// <param name="progress">Told the file position after each frame.</param>
    /// <param name="cancellationToken">Stops between frames; a frame begun is finished first.</param>
    public static async Task SendAsync(FrameConnection connection, long id, SafeFileHandle file, long offset, long length, IncrementalHash hash,
        Action? beforeFrame = null, Action<long>? progress = null, CancellationToken cancellationToken = default)
    {
        long position = offset;
        long end = offset + length;
        while (position < end)
        {
            beforeFrame?.Invoke();
            int size = (int)Math.Min(TransferBuffers.ChunkBytes, end - position);
            var body = await connection.BeginFrameAsync(MessageTypes.FileData, id, size, new FileData { Offset = position },
                FilesJsonContext.Default.FileData, cancellationToken).ConfigureAwait(false);
            bool shrank = false;
            bool completing = false;
            try
            {
                while (body.Remaining > 0)
                {
                    var memory = body.GetMemory();
                    int n = RandomAccess.Read(file, memory.Span, position);
                    if (n == 0)
                    {
                        shrank = true;
                        await PadAsync(body, cancellationToken).ConfigureAwait(false);
                        break;
                    }
                    hash.AppendData(memory.Span[..n]);
                    await body.AdvanceAsync(n, cancellationToken).ConfigureAwait(false);
                    position += n;
                }
                completing = true;
                await body.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // Only while the frame is still ours: once CompleteAsync has begun it releases the writer whatever
                // happens, and the connection's one body writer may already carry another request's frame, which a
                // late dispose would complete (and release the write lock twice). Issue 14, item 2.
                if (!completing) await body.DisposeAsync().ConfigureAwait(false);
            }
            if (shrank) throw new FileChangedException(position, end);
            progress?.Invoke(position);
        }
    }

    /// <summary>
    /// Like <see cref="SendAsync"/>, but each chunk is read into a pooled buffer and sent compressed by
    /// <paramref name="compressor"/> when that makes it smaller (<c>"zstd": N</c> on its frame), as it is otherwise.
    /// <c>offset</c> counts the file's bytes either way, and the hash covers the uncompressed bytes.
    /// </summary>
    public static async Task SendCompressedAsync(FrameConnection connection, long id, SafeFileHandle file, long offset, long length, IncrementalHash hash,
        BodyCompressor compressor, Action? beforeFrame = null, Action<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var raw = System.Buffers.ArrayPool<byte>.Shared.Rent(TransferBuffers.ChunkBytes);
        try
        {
            long position = offset;
            long end = offset + length;
            while (position < end)
            {
                beforeFrame?.Invoke();
                int size = (int)Math.Min(TransferBuffers.ChunkBytes, end - position);
                int got = 0;
                while (got < size)
                {
                    // Nothing of the frame is written yet, so a file that ended early leaves the connection clean.
                    int n = await RandomAccess.ReadAsync(file, raw.AsMemory(got, size - got), position + got, cancellationToken).ConfigureAwait(false);
                    if (n == 0) throw new FileChangedException(position + got, end);
                    got += n;
                }
                hash.AppendData(raw, 0, size);
                if (compressor.TryCompress(raw.AsSpan(0, size), out var packed))
                {
                    await connection.SendAsync(MessageTypes.FileData, id, new FileData { Offset = position, Zstd = size },
                        FilesJsonContext.Default.FileData, packed, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await connection.SendAsync(MessageTypes.FileData, id, new FileData { Offset = position },
                        FilesJsonContext.Default.FileData, raw.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
                }
                position += size;
                progress?.Invoke(position);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(raw);
        }
    }

    private static async ValueTask PadAsync(FrameBodyWriter body, CancellationToken cancellationToken)
    {
        while (body.Remaining > 0)
        {
            var memory = body.GetMemory();
            memory.Span.Clear();
            await body.AdvanceAsync(memory.Length, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>The file being sent got shorter than announced while it was read.</summary>
public sealed class FileChangedException(long got, long expected)
    : IOException($"the file changed while it was being sent (it ended after {got} of {expected} bytes)");

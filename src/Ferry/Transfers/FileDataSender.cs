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

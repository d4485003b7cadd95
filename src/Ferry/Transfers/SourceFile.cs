using System.Security.Cryptography;
using Ferry.Connections;
using Microsoft.Win32.SafeHandles;

namespace Ferry.Transfers;

/// <summary>
/// The sending end of one transfer (an upload on the client, a download on the server): the open source file, the
/// point the receiver's partial copy lets it start from (checked by hash), and the SHA-256 of the whole file, built
/// while its bytes go out with <see cref="FileDataSender"/>.
/// </summary>
internal sealed class SourceFile : IAsyncDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly bool _ownsHandle;
    private IncrementalHash _hash = Sha256Hex.Create();

    /// <param name="handle">The source, open for reading.</param>
    /// <param name="ownsHandle">Whether disposing this closes <paramref name="handle"/>.</param>
    public SourceFile(SafeFileHandle handle, bool ownsHandle = true)
    {
        _handle = handle;
        _ownsHandle = ownsHandle;
        Length = RandomAccess.GetLength(handle);
    }

    /// <summary>Opens a local file for sending (shared with writers and deleters, read sequentially).</summary>
    public static SourceFile Open(string path) => new(File.OpenHandle(path, FileMode.Open, FileAccess.Read,
        FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan));

    /// <summary>The file's size when it was opened: what the transfer announces.</summary>
    public long Length { get; }

    /// <summary>Where sending starts: 0, or the receiver's offset once <see cref="ResumeAsync"/> accepted it.</summary>
    public long Offset { get; private set; }

    public SafeFileHandle Handle => _handle;

    /// <summary>
    /// Considers the receiver's partial copy of <paramref name="offset"/> bytes with SHA-256 <paramref name="prefixSha256"/>:
    /// if it is really the start of this file, sending continues after it and returns true; otherwise everything is
    /// sent from byte 0 (returns false). An offer of 0 bytes is no offer and also returns false.
    /// </summary>
    public async Task<bool> ResumeAsync(long offset, string? prefixSha256, CancellationToken cancellationToken = default)
    {
        if (offset <= 0 || offset > Length || prefixSha256 is null) return false;
        await Sha256Hex.AppendPrefixAsync(_hash, _handle, offset, cancellationToken).ConfigureAwait(false);
        if (Sha256Hex.Same(Sha256Hex.Of(_hash), prefixSha256))
        {
            Offset = offset;
            return true;
        }
        _hash.Dispose();
        _hash = Sha256Hex.Create();
        return false;
    }

    /// <summary>Sends the file from <see cref="Offset"/> as <c>file.data</c> frames for request <paramref name="id"/>; returns the SHA-256 of the whole file.</summary>
    /// <param name="connection">The connection the frames go out on.</param>
    /// <param name="id">The request id the frames carry.</param>
    /// <param name="beforeFrame">Runs before each frame (say, to stop early when the peer already refused).</param>
    /// <param name="progress">Told the file position after each frame.</param>
    /// <param name="cancellationToken">Stops between frames; a frame begun is finished first.</param>
    /// <param name="compressor">Compresses the chunks that shrink, when the receiver agreed to compression; null sends them as they are.</param>
    public async Task<string> SendAsync(FrameConnection connection, long id, Action? beforeFrame = null, Action<long>? progress = null,
        BodyCompressor? compressor = null, CancellationToken cancellationToken = default)
    {
        if (compressor is null)
        {
            await FileDataSender.SendAsync(connection, id, _handle, Offset, Length - Offset, _hash, beforeFrame, progress, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await FileDataSender.SendCompressedAsync(connection, id, _handle, Offset, Length - Offset, _hash, compressor, beforeFrame, progress, cancellationToken).ConfigureAwait(false);
        }
        return Sha256Hex.Of(_hash);
    }

    public ValueTask DisposeAsync()
    {
        _hash.Dispose();
        if (_ownsHandle) _handle.Dispose();
        return ValueTask.CompletedTask;
    }
}

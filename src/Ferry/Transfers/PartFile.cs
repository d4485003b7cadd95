using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Ferry.Transfers;

/// <summary>
/// The receiving end of one transfer (a download on the client, an upload on the server): the <c>.part</c> file the
/// data goes into before it takes its final name. Opening it decides whether bytes kept from an earlier attempt are
/// built on (their SHA-256 is then the <see cref="PrefixSha256"/> the sender checks). Bytes go from the connection's
/// receive buffers straight into the file (one gathered write per batch, run off the network thread) while the same
/// bytes are hashed here, so there is no copy in between and hashing overlaps the disk write. The caller hands the
/// buffers back to the connection only once <see cref="WriteAsync"/> returns: that is the back-pressure when the disk
/// is slower than the network.
/// </summary>
public sealed class PartFile : IAsyncDisposable, IReceiveTarget
{
    /// <summary>
    /// Receive at least this much before writing, so a gigabyte is a thousand writes (and as many hand-offs to the
    /// thread pool), not tens of thousands. 1 MiB measured ~6% faster than 256 KiB for put and get (docs/performance.md).
    /// </summary>
    public const int BatchBytes = 1024 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly FileStream? _owner;
    private readonly IncrementalHash _hash;
    private readonly List<ReadOnlyMemory<byte>> _segments = new(capacity: 32);
    private bool _failed;

    private PartFile(SafeFileHandle handle, FileStream? owner, IncrementalHash hash, long position, string? prefixSha256)
    {
        _handle = handle;
        _owner = owner;
        _hash = hash;
        Position = position;
        PrefixSha256 = prefixSha256;
    }

    /// <summary>Bytes in the file so far, counting any prefix kept from before.</summary>
    public long Position { get; private set; }

    /// <summary>SHA-256 (hex) of the bytes kept from an earlier attempt; null when the file started empty.</summary>
    public string? PrefixSha256 { get; }

    /// <summary>
    /// Opens (creating it, readable and writable by its owner only when <paramref name="createMode"/> says so) the
    /// <c>.part</c> at <paramref name="path"/>, locked against other writers. See <see cref="AdoptAsync(SafeFileHandle, bool, long, CancellationToken)"/> for
    /// <paramref name="resume"/> and <paramref name="keepAtMost"/>.
    /// </summary>
    public static Task<PartFile> OpenAsync(string path, bool resume, long keepAtMost = long.MaxValue, UnixFileMode? createMode = null,
        CancellationToken cancellationToken = default)
    {
        var options = new FileStreamOptions
        {
            Mode = resume ? FileMode.OpenOrCreate : FileMode.Create,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            BufferSize = 0,
        };
        if (createMode is { } mode && !OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        // FileStream only to create with a mode (File.OpenHandle cannot); its handle is what is used, and it owns it.
        var stream = new FileStream(path, options);
        return AdoptAsync(stream.SafeFileHandle, resume, keepAtMost, stream, cancellationToken);
    }

    /// <summary>
    /// Takes over an open <c>.part</c> (the handle is closed with this object, or at once if this throws). With
    /// <paramref name="resume"/>, up to <paramref name="keepAtMost"/> bytes already in it are kept and hashed; otherwise,
    /// or when there are more, the file is emptied.
    /// </summary>
    public static Task<PartFile> AdoptAsync(SafeFileHandle handle, bool resume, long keepAtMost = long.MaxValue, CancellationToken cancellationToken = default) =>
        AdoptAsync(handle, resume, keepAtMost, owner: null, cancellationToken);

    private static async Task<PartFile> AdoptAsync(SafeFileHandle handle, bool resume, long keepAtMost, FileStream? owner, CancellationToken cancellationToken)
    {
        var hash = Sha256Hex.Create();
        try
        {
            long length = RandomAccess.GetLength(handle);
            if (resume && length > 0 && length <= keepAtMost)
            {
                // The bytes already here count towards the final hash; the sender checks them against its own.
                await Sha256Hex.AppendPrefixAsync(hash, handle, length, cancellationToken).ConfigureAwait(false);
                return new PartFile(handle, owner, hash, length, Sha256Hex.Of(hash));
            }
            if (length != 0) RandomAccess.SetLength(handle, 0);
            return new PartFile(handle, owner, hash, 0, null);
        }
        catch
        {
            hash.Dispose();
            if (owner is not null) await owner.DisposeAsync().ConfigureAwait(false);
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="data"/> at <see cref="Position"/> and hashes it; returns once it is in the file.</summary>
    public async ValueTask WriteAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken = default)
    {
        if (_failed) throw new InvalidOperationException("an earlier write to this file failed");
        if (data.IsEmpty) return;
        ValueTask write;
        if (data.IsSingleSegment)
        {
            write = RandomAccess.WriteAsync(_handle, data.First, Position, cancellationToken);
        }
        else
        {
            _segments.Clear();
            foreach (var segment in data) _segments.Add(segment);
            write = RandomAccess.WriteAsync(_handle, _segments, Position, cancellationToken);
        }
        // The write runs on the thread pool; hash the same bytes here meanwhile. Both only read the buffers.
        foreach (var segment in data) _hash.AppendData(segment.Span);
        try
        {
            await write.ConfigureAwait(false);
        }
        catch
        {
            // The hash now covers bytes that may not be in the file: this writer is done (resume re-hashes the file).
            _failed = true;
            throw;
        }
        Position += data.Length;
    }

    /// <summary>Returns the SHA-256 (hex) of everything in the file.</summary>
    public Task<string> CompleteAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_failed) throw new InvalidOperationException("an earlier write to this file failed");
        return Task.FromResult(Sha256Hex.Of(_hash));
    }

    /// <summary>Throws away everything written: the file is emptied and the hash starts over.</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        RandomAccess.SetLength(_handle, 0);
        _ = _hash.GetHashAndReset();
        Position = 0;
        _failed = false;
        return Task.CompletedTask;
    }

    /// <summary>Closes the file; what was written stays (for resume).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_owner is not null) await _owner.DisposeAsync().ConfigureAwait(false);
            _handle.Dispose();
        }
        catch (IOException)
        {
            // A failed close (disk full on a network file system); the error was already reported by the write that hit it.
        }
        _hash.Dispose();
    }
}

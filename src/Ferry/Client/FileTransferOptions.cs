namespace Ferry.Client;

/// <summary>How an upload or download behaves.</summary>
public sealed class FileTransferOptions
{
    /// <summary>Replace an existing file at the destination.</summary>
    public bool Force { get; init; }

    /// <summary>Continue from the destination's <c>.part</c> file after checking its bytes by hash.</summary>
    public bool Resume { get; init; }

    /// <summary>
    /// When the destination already has a version of the file (1 MiB or more), send only what changed: the receiver
    /// describes its copy in blocks and the sender sends new bytes plus references to those blocks (docs/protocol.md
    /// §5.4.4). A delta does not resume; it is verified by SHA-256 like any transfer. Without a usable copy the file
    /// goes whole.
    /// </summary>
    public bool Delta { get; init; }

    /// <summary>
    /// Compress the file's data on the wire with zstd where it shrinks (docs/protocol.md §5.4.5), when the other end
    /// agrees; a server that does not know compression gets the data as it is. Data that does not shrink (already
    /// compressed files) goes as it is, so it costs almost nothing extra. Verified by SHA-256 of the uncompressed bytes.
    /// </summary>
    public bool Compress { get; init; }

    /// <summary>Called as bytes move (on the transfer's own task, at most once per chunk); keep it quick.</summary>
    public Action<FileTransferProgress>? Progress { get; init; }
}

/// <summary>How far one transfer has got: <see cref="Done"/> counts bytes already at the destination, resumed ones included.</summary>
public readonly record struct FileTransferProgress(string Name, long Done, long Total)
{
    /// <summary>
    /// True while a partial copy from an earlier attempt is being checked by hash (<see cref="Done"/> bytes of it, 0
    /// while it is not known yet whether there is one); nothing moves meanwhile.
    /// </summary>
    public bool Checking { get; init; }
}

/// <summary>A finished, verified transfer.</summary>
public sealed record FileTransferResult(string RemotePath, string LocalPath, long Size, long BytesMoved, string Sha256, long ResumedFrom, bool Restarted, TimeSpan Elapsed)
{
    /// <summary>For a delta transfer: bytes of the file the receiver took from its own copy (<see cref="BytesMoved"/> is then the delta's size); 0 otherwise.</summary>
    public long DeltaBasisBytes { get; init; }

    /// <summary>Whether the file went as a delta.</summary>
    public bool Delta { get; init; }

    /// <summary>Whether the file's data went compressed (asked for with <see cref="FileTransferOptions.Compress"/> and agreed to).</summary>
    public bool Compressed { get; init; }

    /// <summary>
    /// Bytes of file data that crossed the wire as frame bodies: after compression, and for a delta its instructions
    /// plus the block signature that went the other way. Equal to <see cref="BytesMoved"/> for a plain transfer.
    /// </summary>
    public long WireBytes
    {
        get => _wireBytes ?? BytesMoved;
        init => _wireBytes = value;
    }

    private readonly long? _wireBytes;
}

using System.Buffers;

namespace Ferry.Transfers;

/// <summary>
/// Where a download's bytes go while they are hashed: a <see cref="PartFile"/> (resumable, renamed into place once
/// verified) or a plain stream such as standard output (<see cref="StreamReceiveTarget"/>).
/// </summary>
internal interface IReceiveTarget
{
    /// <summary>Bytes held so far, counting any prefix kept from before.</summary>
    long Position { get; }

    /// <summary>Writes and hashes <paramref name="data"/>; returns once it is written.</summary>
    ValueTask WriteAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken = default);

    /// <summary>The SHA-256 (hex) of everything written.</summary>
    Task<string> CompleteAsync(CancellationToken cancellationToken = default);

    /// <summary>Throws away what was written (the sender did not accept the kept prefix).</summary>
    Task RestartAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// A download into a stream that cannot be rewound (standard output): bytes are written as they arrive and hashed,
/// so the caller learns at the end whether they were right, but cannot take them back.
/// </summary>
/// <param name="destination">Where the bytes go.</param>
/// <param name="abort">
/// Also stops a write: a reader that stopped reading (a pager left open) blocks the write, and the read loop's own
/// token is not cancelled when the user gives up (Ctrl+C) or the connection is torn down.
/// </param>
internal sealed class StreamReceiveTarget(Stream destination, CancellationToken abort) : IReceiveTarget, IDisposable
{
    private readonly System.Security.Cryptography.IncrementalHash _hash = Sha256Hex.Create();

    public long Position { get; private set; }

    public async ValueTask WriteAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken = default)
    {
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, abort) : null;
        var token = linked?.Token ?? abort;
        foreach (var segment in data)
        {
            _hash.AppendData(segment.Span);
            await destination.WriteAsync(segment, token).ConfigureAwait(false);
        }
        Position += data.Length;
    }

    public async Task<string> CompleteAsync(CancellationToken cancellationToken = default)
    {
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        return Sha256Hex.Of(_hash);
    }

    public Task RestartAsync(CancellationToken cancellationToken = default)
    {
        // Only a resumed download restarts, and a stream never offers a prefix.
        if (Position != 0) throw new InvalidOperationException("bytes already written to a stream cannot be taken back");
        return Task.CompletedTask;
    }

    public void Dispose() => _hash.Dispose();
}

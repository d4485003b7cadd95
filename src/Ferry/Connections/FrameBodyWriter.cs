using System.Buffers;

namespace Ferry.Connections;

/// <summary>
/// The body of one frame started with <see cref="FrameConnection.BeginFrameAsync{T}"/>: whoever holds it owns the
/// connection's writer until the frame is complete. Exactly the announced number of bytes must be written: a short
/// body would desynchronise the peer, so completing early aborts the connection instead. Completing and disposing
/// are the same act and happen once; a copy used after that (a second dispose, a late write) touches no other frame.
/// </summary>
/// <remarks>
/// A handle, not an object per frame: it names the connection and the frame's generation, so a stale handle is told
/// apart from the frame that owns the writer now without allocating for every frame sent.
/// </remarks>
public readonly struct FrameBodyWriter : IAsyncDisposable
{
    private readonly FrameConnection? _connection;
    private readonly long _generation;

    internal FrameBodyWriter(FrameConnection connection, long generation)
    {
        _connection = connection;
        _generation = generation;
    }

    /// <summary>Bytes still owed to the peer; 0 once the frame is complete.</summary>
    public long Remaining => _connection?.BodyRemaining(_generation) ?? 0;

    /// <summary>Whether the frame is finished (completed, disposed, or never begun).</summary>
    public bool IsCompleted => _connection is null || !_connection.OwnsBody(_generation);

    /// <summary>Copies <paramref name="data"/> into the frame and flushes when a chunk has built up.</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        Owner.WriteBodyAsync(_generation, data, cancellationToken);

    /// <summary>Writes a multi-segment chunk.</summary>
    public async ValueTask WriteAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken = default)
    {
        foreach (var segment in data) await WriteAsync(segment, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Memory in the connection's output to fill directly (say, with a file read), at most <see cref="Remaining"/>
    /// bytes long; follow with <see cref="AdvanceAsync"/>. Saves the copy <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> makes.
    /// </summary>
    public Memory<byte> GetMemory() => Owner.GetBodyMemory(_generation);

    /// <summary>Commits <paramref name="count"/> bytes written into <see cref="GetMemory"/>; flushes when a chunk has built up.</summary>
    public ValueTask AdvanceAsync(int count, CancellationToken cancellationToken = default) =>
        Owner.AdvanceBodyAsync(_generation, count, cancellationToken);

    /// <summary>
    /// Finishes the frame: flushes, and hands the writer on. A cancelled token skips nothing: the frame is whole
    /// already. Throws if the body is short (the connection is aborted); does nothing if the frame is finished already.
    /// </summary>
    public ValueTask CompleteAsync(CancellationToken cancellationToken = default) =>
        _connection?.CompleteBodyAsync(_generation, cancellationToken) ?? ValueTask.CompletedTask;

    /// <summary>Completes the frame if the caller did not (aborting the connection if the body is short); else nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_connection is null) return;
        try
        {
            await _connection.CompleteBodyAsync(_generation, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ConnectionClosedException)
        {
            // Already reported through the connection's close reason.
        }
    }

    private FrameConnection Owner => _connection ?? throw new InvalidOperationException("this frame body was never begun");
}

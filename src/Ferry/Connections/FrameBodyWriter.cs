using System.Buffers;

namespace Ferry.Connections;

/// <summary>
/// Writes the body of a frame started with <see cref="FrameConnection.BeginFrameAsync{T}"/>, holding the
/// connection's write lock. Exactly the announced number of bytes must be written: a short body would
/// desynchronise the peer, so completing early aborts the connection instead.
/// </summary>
public sealed class FrameBodyWriter : IAsyncDisposable
{
    private readonly FrameConnection _connection;
    private long _remaining;
    private bool _active;

    internal FrameBodyWriter(FrameConnection connection) => _connection = connection;

    /// <summary>Bytes still owed to the peer.</summary>
    public long Remaining => _remaining;

    internal void Begin(long size)
    {
        _remaining = size;
        _active = true;
    }

    /// <summary>Copies <paramref name="data"/> into the frame and flushes when a chunk has built up.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (!_active) throw new InvalidOperationException("the frame is already complete");
        if (data.Length > _remaining)
        {
            throw new InvalidOperationException($"writing {data.Length} bytes would overrun the frame's {_remaining} remaining");
        }
        var output = _connection.Output;
        try
        {
            while (!data.IsEmpty)
            {
                // Cancelling between chunks leaves the body short, which aborts the connection when the frame is
                // completed; a flush itself is never cut short, only given up on with the whole connection
                // (see FrameConnection.FlushCoreAsync).
                cancellationToken.ThrowIfCancellationRequested();
                int n = Math.Min(data.Length, FrameConnection.FlushChunkBytes);
                output.Write(data.Span[..n]);
                data = data[n..];
                _remaining -= n;
                _connection.AddBytesOut(n);
                if (output.UnflushedBytes >= FrameConnection.FlushChunkBytes)
                {
                    await _connection.FlushCoreAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (FrameConnection.IsTransportFailure(ex) && ex is not InvalidOperationException)
        {
            throw new ConnectionClosedException("the connection closed while sending", CloseReason.PeerClosed, ex);
        }
    }

    /// <summary>
    /// Memory in the connection's output to fill directly (say, with a file read), at most <see cref="Remaining"/>
    /// bytes long; follow with <see cref="AdvanceAsync"/>. Saves the copy <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> makes.
    /// </summary>
    public Memory<byte> GetMemory()
    {
        if (!_active) throw new InvalidOperationException("the frame is already complete");
        var memory = _connection.Output.GetMemory();
        return memory.Length > _remaining ? memory[..(int)_remaining] : memory;
    }

    /// <summary>Commits <paramref name="count"/> bytes written into <see cref="GetMemory"/>; flushes when a chunk has built up.</summary>
    public async ValueTask AdvanceAsync(int count, CancellationToken cancellationToken = default)
    {
        if (!_active) throw new InvalidOperationException("the frame is already complete");
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _remaining);
        var output = _connection.Output;
        cancellationToken.ThrowIfCancellationRequested();
        output.Advance(count);
        _remaining -= count;
        _connection.AddBytesOut(count);
        if (output.UnflushedBytes >= FrameConnection.FlushChunkBytes)
        {
            try
            {
                await _connection.FlushCoreAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (FrameConnection.IsTransportFailure(ex) && ex is not InvalidOperationException)
            {
                throw new ConnectionClosedException("the connection closed while sending", CloseReason.PeerClosed, ex);
            }
        }
    }

    /// <summary>Writes a multi-segment chunk.</summary>
    public async ValueTask WriteAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken = default)
    {
        foreach (var segment in data) await WriteAsync(segment, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Finishes the frame: flushes, and releases the write lock. A cancelled token skips nothing: the frame is whole already.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (!_active) return;
        try
        {
            if (_remaining != 0)
            {
                _connection.Abort(CloseReason.Error, $"a frame body ended {_remaining} byte(s) short");
                throw new ConnectionClosedException("a frame body ended short; the connection was closed to keep framing intact", CloseReason.Error);
            }
            await _connection.FlushCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _active = false;
            _connection.ReleaseWriter();
        }
    }

    /// <summary>Completes the frame if the caller did not; aborts the connection if the body is short.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_active) return;
        try
        {
            await CompleteAsync().ConfigureAwait(false);
        }
        catch (ConnectionClosedException)
        {
            // Already reported through the connection's close reason.
        }
    }
}

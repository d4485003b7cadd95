using System.Buffers;
using System.Text.Json.Serialization.Metadata;
using Ferry.Protocol;

namespace Ferry.Connections;

// Streamed frame bodies. The write lock is held from BeginFrameAsync until the body's one completion; each body is
// known by a generation number, so only the handle that began the body now being written can write, complete or
// release it. A handle kept past its frame (disposed twice, completed and then disposed, written late) finds the
// generation moved on and does nothing to the frame another request has begun since.
public sealed partial class FrameConnection
{
    // Invariant: odd while a body owns the writer (the value is that body's generation), even while none does. Only
    // the lock holder makes it odd; only the owning handle makes it even again, once, by compare-and-swap.
    private long _bodyGeneration;
    private long _bodyRemaining; // touched only by the owning handle

    /// <summary>
    /// Starts a frame whose body of exactly <paramref name="size"/> bytes is written afterwards through the
    /// returned writer. The connection's writer belongs to that frame until it is completed or disposed.
    /// </summary>
    public async ValueTask<FrameBodyWriter> BeginFrameAsync<T>(string type, long id, long size, T? payload, JsonTypeInfo<T>? typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            FrameHeaderWriter.ForCurrentThread.Write(_output, type, id, size, payload, typeInfo);
            Interlocked.Add(ref _bytesOut, _output.UnflushedBytes);
        }
        catch
        {
            _writeLock.Release();
            throw;
        }
        _bodyRemaining = size;
        long generation = Interlocked.Increment(ref _bodyGeneration);
        System.Diagnostics.Debug.Assert((generation & 1) == 1, "a body began while another owned the writer");
        return new FrameBodyWriter(this, generation);
    }

    internal bool OwnsBody(long generation) => Volatile.Read(ref _bodyGeneration) == generation;

    internal long BodyRemaining(long generation) => OwnsBody(generation) ? _bodyRemaining : 0;

    internal async ValueTask WriteBodyAsync(long generation, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        ThrowIfNotOwner(generation);
        if (data.Length > _bodyRemaining)
        {
            throw new InvalidOperationException($"writing {data.Length} bytes would overrun the frame's {_bodyRemaining} remaining");
        }
        try
        {
            while (!data.IsEmpty)
            {
                // Cancelling between chunks leaves the body short, which aborts the connection when the frame is
                // completed; a flush itself is never cut short, only given up on with the whole connection
                // (see FlushCoreAsync).
                cancellationToken.ThrowIfCancellationRequested();
                ThrowIfNotOwner(generation);
                int n = Math.Min(data.Length, FlushChunkBytes);
                _output.Write(data.Span[..n]);
                data = data[n..];
                _bodyRemaining -= n;
                Interlocked.Add(ref _bytesOut, n);
                if (_output.UnflushedBytes >= FlushChunkBytes) await FlushCoreAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsUnwrappedTransportFailure(ex))
        {
            throw Closing(ex);
        }
    }

    internal Memory<byte> GetBodyMemory(long generation)
    {
        ThrowIfNotOwner(generation);
        var memory = _output.GetMemory();
        return memory.Length > _bodyRemaining ? memory[..(int)_bodyRemaining] : memory;
    }

    internal async ValueTask AdvanceBodyAsync(long generation, int count, CancellationToken cancellationToken)
    {
        ThrowIfNotOwner(generation);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _bodyRemaining);
        cancellationToken.ThrowIfCancellationRequested();
        _output.Advance(count);
        _bodyRemaining -= count;
        Interlocked.Add(ref _bytesOut, count);
        if (_output.UnflushedBytes < FlushChunkBytes) return;
        try
        {
            await FlushCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnwrappedTransportFailure(ex))
        {
            throw Closing(ex);
        }
    }

    // Completion and disposal both land here; the compare-and-swap makes it happen once per body, and the write lock
    // is released exactly once, by the handle that took it.
    internal async ValueTask CompleteBodyAsync(long generation, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _bodyGeneration, generation + 1, generation) != generation) return;
        try
        {
            long shortBy = _bodyRemaining;
            if (shortBy != 0)
            {
                Abort(CloseReason.Error, $"a frame body ended {shortBy} byte(s) short");
                throw new ConnectionClosedException("a frame body ended short; the connection was closed to keep framing intact", CloseReason.Error);
            }
            await FlushCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnwrappedTransportFailure(ex))
        {
            throw Closing(ex);
        }
        finally
        {
            _bodyRemaining = 0;
            _writeLock.Release();
        }
    }

    // A misuse (InvalidOperationException, never a transport failure) stays what it is, and an already-typed close is
    // not wrapped twice.
    private static bool IsUnwrappedTransportFailure(Exception ex) => ex is not ConnectionClosedException && IsTransportFailure(ex);

    private void ThrowIfNotOwner(long generation)
    {
        if (!OwnsBody(generation)) throw new InvalidOperationException("this frame body is already complete");
    }
}

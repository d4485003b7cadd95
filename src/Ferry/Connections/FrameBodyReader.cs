using System.Buffers;
using System.IO.Pipelines;
using Ferry.Protocol;

namespace Ferry.Connections;

/// <summary>
/// Streams exactly <c>size</c> body bytes of the current frame from the connection's input, without
/// buffering the body whole. One per connection, reused for every frame by the read loop.
/// </summary>
public sealed class FrameBodyReader
{
    private readonly PipeReader _input;
    // Invariant: _buffer is always a slice of the most recent ReadResult, starting at the next unread byte.
    private ReadOnlySequence<byte> _buffer;
    private bool _completed;
    private long _remaining;
    private bool _outstanding; // a ReadResult has been taken and not yet handed back with AdvanceTo

    internal FrameBodyReader(PipeReader input) => _input = input;

    /// <summary>The body's total size.</summary>
    public long Length { get; private set; }

    /// <summary>Body bytes not yet consumed.</summary>
    public long Remaining => _remaining;

    internal ReadOnlySequence<byte> Buffer => _buffer;

    internal bool Completed => _completed;

    internal void Track(ReadResult result)
    {
        _buffer = result.Buffer;
        _outstanding = true;
    }

    internal void Untrack() => _outstanding = false;

    /// <summary>Hands an unfinished read back to the pipe so the input can be read again (used when closing).</summary>
    internal void ReleaseOutstanding(PipeReader input)
    {
        if (!_outstanding) return;
        input.AdvanceTo(_buffer.End);
        _outstanding = false;
        _remaining = 0;
    }

    internal void Begin(ReadOnlySequence<byte> buffer, bool completed, long size)
    {
        _buffer = buffer;
        _completed = completed;
        _remaining = size;
        Length = size;
    }

    /// <summary>
    /// Returns the next body bytes available: at least one and at most <see cref="Remaining"/>, or an empty
    /// sequence once the body is done. Call <see cref="Advance"/> with how many were used before reading again.
    /// </summary>
    public ValueTask<ReadOnlySequence<byte>> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_remaining == 0) return ValueTask.FromResult(ReadOnlySequence<byte>.Empty);
        if (!_buffer.IsEmpty) return ValueTask.FromResult(Available());
        return ReadMoreAsync(cancellationToken);
    }

    private async ValueTask<ReadOnlySequence<byte>> ReadMoreAsync(CancellationToken cancellationToken)
    {
        if (_completed) throw ProtocolException.Truncated(_remaining);
        _input.AdvanceTo(_buffer.Start);
        _outstanding = false;
        var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
        _outstanding = true;
        if (result.IsCanceled) throw new OperationCanceledException("the read was cancelled");
        _buffer = result.Buffer;
        _completed = result.IsCompleted;
        if (_buffer.IsEmpty) throw ProtocolException.Truncated(_remaining);
        return Available();
    }

    /// <summary>
    /// Like <see cref="ReadAsync"/>, but waits until at least <paramref name="minimumBytes"/> (or the rest of the body, if
    /// less) are buffered, so bulk consumers handle large batches. Keep the minimum well under the transport's
    /// read-buffer limit, or the wait can never be satisfied.
    /// </summary>
    public ValueTask<ReadOnlySequence<byte>> ReadAtLeastAsync(int minimumBytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minimumBytes);
        if (_remaining == 0) return ValueTask.FromResult(ReadOnlySequence<byte>.Empty);
        long wanted = Math.Min(minimumBytes, _remaining);
        if (_buffer.Length >= wanted || (_completed && !_buffer.IsEmpty)) return ValueTask.FromResult(Available());
        return ReadAtLeastMoreAsync((int)wanted, cancellationToken);
    }

    private async ValueTask<ReadOnlySequence<byte>> ReadAtLeastMoreAsync(int wanted, CancellationToken cancellationToken)
    {
        if (_completed) throw ProtocolException.Truncated(_remaining);
        _input.AdvanceTo(_buffer.Start);
        _outstanding = false;
        var result = await _input.ReadAtLeastAsync(wanted, cancellationToken).ConfigureAwait(false);
        _outstanding = true;
        if (result.IsCanceled) throw new OperationCanceledException("the read was cancelled");
        _buffer = result.Buffer;
        _completed = result.IsCompleted;
        if (_buffer.IsEmpty) throw ProtocolException.Truncated(_remaining);
        return Available();
    }

    private ReadOnlySequence<byte> Available() => _buffer.Length > _remaining ? _buffer.Slice(0, _remaining) : _buffer;

    /// <summary>Marks <paramref name="count"/> bytes of the last <see cref="ReadAsync"/> result as consumed.</summary>
    public void Advance(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Math.Min(_remaining, _buffer.Length));
        _buffer = _buffer.Slice(count);
        _remaining -= count;
    }

    /// <summary>Reads and discards the rest of the body.</summary>
    public async ValueTask SkipAsync(CancellationToken cancellationToken = default)
    {
        while (_remaining > 0)
        {
            var chunk = await ReadAsync(cancellationToken).ConfigureAwait(false);
            Advance(chunk.Length);
        }
    }

    /// <summary>Reads the whole body into a new array; refuses bodies over <paramref name="maxBytes"/>.</summary>
    public async ValueTask<byte[]> ReadAllAsync(int maxBytes, CancellationToken cancellationToken = default)
    {
        if (_remaining > maxBytes)
        {
            throw new FerryException(ProtocolError.BadRequest, $"body of {_remaining} bytes exceeds the {maxBytes}-byte limit");
        }
        var bytes = _remaining == 0 ? [] : new byte[_remaining];
        int offset = 0;
        while (_remaining > 0)
        {
            var chunk = await ReadAsync(cancellationToken).ConfigureAwait(false);
            chunk.CopyTo(bytes.AsSpan(offset));
            offset += (int)chunk.Length;
            Advance(chunk.Length);
        }
        return bytes;
    }

    /// <summary>Copies the rest of the body to <paramref name="destination"/>, with the destination's back-pressure.</summary>
    public async ValueTask CopyToAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        while (_remaining > 0)
        {
            var chunk = await ReadAsync(cancellationToken).ConfigureAwait(false);
            foreach (var segment in chunk)
            {
                await destination.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
            }
            Advance(chunk.Length);
        }
    }
}

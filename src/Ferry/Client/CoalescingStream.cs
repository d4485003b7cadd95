namespace Ferry.Client;

/// <summary>
/// Sits between SslStream and the socket. Once <see cref="Coalesce"/> is on (after the handshake), writes are
/// gathered until <see cref="FlushAsync(CancellationToken)"/>, so the TLS records of one frame leave in one send.
/// Reads pass straight through. The buffer is bounded: past <see cref="MaxBuffered"/> bytes it is sent at once.
/// </summary>
internal sealed class CoalescingStream(Stream inner) : Stream
{
    private const int MaxBuffered = 256 * 1024;
    private readonly MemoryStream _pending = new();

    /// <summary>Off during the handshake (whose records must leave as written), on after it.</summary>
    public bool Coalesce { get; set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException("this stream is not seekable");

    public override long Position
    {
        get => throw new NotSupportedException("this stream is not seekable");
        set => throw new NotSupportedException("this stream is not seekable");
    }

    /// <summary>
    /// The first bytes the peer sent (up to 8), kept while <see cref="Coalesce"/> is off: when a TLS handshake fails
    /// they tell what answered instead — a plaintext Ferry server's frame, some other service, or nothing at all.
    /// </summary>
    public ReadOnlySpan<byte> FirstBytes => _first.AsSpan(0, _firstLength);

    private readonly byte[] _first = new byte[8];
    private int _firstLength;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Remember(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        int read = inner.Read(buffer, offset, count);
        Remember(buffer.AsSpan(offset, read));
        return read;
    }

    private void Remember(ReadOnlySpan<byte> data)
    {
        if (Coalesce || _firstLength == _first.Length) return;
        int take = Math.Min(data.Length, _first.Length - _firstLength);
        data[..take].CopyTo(_first.AsSpan(_firstLength));
        _firstLength += take;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!Coalesce)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            return;
        }
        _pending.Write(buffer.Span);
        if (_pending.Length >= MaxBuffered) await SendPendingAsync(cancellationToken).ConfigureAwait(false);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await SendPendingAsync(cancellationToken).ConfigureAwait(false);
        await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("this stream is not seekable");

    public override void SetLength(long value) => throw new NotSupportedException("this stream is not seekable");

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask SendPendingAsync(CancellationToken cancellationToken)
    {
        if (_pending.Length == 0) return;
        await inner.WriteAsync(_pending.GetBuffer().AsMemory(0, (int)_pending.Length), cancellationToken).ConfigureAwait(false);
        _pending.SetLength(0);
    }
}

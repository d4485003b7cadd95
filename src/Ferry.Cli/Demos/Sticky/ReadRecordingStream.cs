namespace Ferry.Cli.Demos.Sticky;

/// <summary>
/// Wraps the receiver's socket stream so the demo can see (and cap) each socket read the framing layer makes:
/// "the codec got 2 bytes, then 10, then 10..." is the point of the fix cases.
/// </summary>
internal sealed class ReadRecordingStream(Stream inner, Func<int, int> capForRead, Action<byte[]> onRead) : Stream
{
    private int _reads;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException("this stream is not seekable");

    public override long Position { get => throw new NotSupportedException("this stream is not seekable"); set => throw new NotSupportedException("this stream is not seekable"); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int cap = Math.Min(buffer.Length, capForRead(_reads++));
        int n = await inner.ReadAsync(buffer[..cap], cancellationToken).ConfigureAwait(false);
        if (n > 0) onRead(buffer[..n].ToArray());
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("this stream is not seekable");

    public override void SetLength(long value) => throw new NotSupportedException("this stream is not seekable");
}

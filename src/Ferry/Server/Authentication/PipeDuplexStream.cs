using System.Buffers;
using System.IO.Pipelines;

namespace Ferry.Server.Authentication;

/// <summary>
/// A <see cref="Stream"/> over a transport's pipes, for SslStream to run on. Once <see cref="Coalesce"/> is on,
/// writes only fill the pipe and <see cref="FlushAsync(CancellationToken)"/> sends them, so the several TLS records
/// of one frame leave in one send instead of one each (SslStream flushes after every application write).
/// </summary>
internal sealed class PipeDuplexStream(IDuplexPipe pipe) : Stream
{
    private readonly Stream _input = pipe.Input.AsStream(leaveOpen: true);
    private readonly Stream _output = pipe.Output.AsStream(leaveOpen: true);
    private readonly PipeWriter _writer = pipe.Output;

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

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _input.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _input.ReadAsync(buffer, offset, count, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!Coalesce) return _output.WriteAsync(buffer, cancellationToken);
        _writer.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        var result = await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCanceled) throw new OperationCanceledException(cancellationToken);
    }

    public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);

    public override void Write(byte[] buffer, int offset, int count) => _output.Write(buffer, offset, count);

    public override void Flush() => _output.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("this stream is not seekable");

    public override void SetLength(long value) => throw new NotSupportedException("this stream is not seekable");

    // The adapters were made with leaveOpen: disposing them releases their own state and leaves the transport's
    // pipes to Kestrel, which completes them when the connection ends.
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _input.Dispose();
            _output.Dispose();
        }
        base.Dispose(disposing);
    }
}

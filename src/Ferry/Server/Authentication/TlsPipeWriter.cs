using System.IO.Pipelines;
using System.Net.Security;

namespace Ferry.Server.Authentication;

/// <summary>
/// The writer over a server-side TLS stream. Completing it ends the TLS session (close_notify) and half-closes the
/// socket, so a peer reading to the end sees the server's last frame and then the end — the same as plaintext.
/// </summary>
internal sealed class TlsPipeWriter(PipeWriter inner, SslStream tls, PipeWriter transportOutput) : PipeWriter
{
    private int _completed;

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    public override void Advance(int bytes) => inner.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

    public override void Complete(Exception? exception = null) => CompleteAsync(exception).AsTask().GetAwaiter().GetResult();

    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return;
        await inner.CompleteAsync(exception).ConfigureAwait(false);
        if (exception is not null) return;
        try
        {
            await tls.ShutdownAsync().ConfigureAwait(false);
            await transportOutput.FlushAsync().ConfigureAwait(false);
            await transportOutput.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            // The connection is already going down.
        }
    }
}

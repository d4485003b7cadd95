using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using Ferry.Connections;
using Ferry.Contracts.Forward;
using Ferry.Protocol;

namespace Ferry.Transfers;

/// <summary>How a <see cref="TunnelChannel"/> puts its frames on the connection (the server through its request context, the client directly).</summary>
internal interface ITunnelFrames
{
    /// <summary>Sends <c>forward.data</c> with <paramref name="data"/>; <paramref name="eof"/> says this side's stream ended.</summary>
    ValueTask SendDataAsync(ReadOnlyMemory<byte> data, bool eof, CancellationToken cancellationToken);

    /// <summary>Sends <c>forward.credit</c>: the peer may send <paramref name="bytes"/> more.</summary>
    ValueTask SendCreditAsync(long bytes, CancellationToken cancellationToken);
}

/// <summary>
/// One forwarded TCP stream as either end carries it (docs/protocol.md §5.9): bytes read from the local socket go out
/// as <c>forward.data</c> only as far as the peer's credit reaches, and bytes the peer sends are queued here (never
/// written on the connection's read loop) and passed to the socket by a pump of their own, which grants the credit back.
/// So a socket that stops reading stalls only its own stream: the peer runs out of credit, the connection's read loop
/// never waits for it, and every other stream, command or transfer on the connection goes on.
/// </summary>
internal sealed class TunnelChannel : IDisposable
{
    // What the queue grows by: a frame's bytes land in a few large segments, each written to the socket in one call.
    private const int SegmentBytes = 64 * 1024;

    // Queue what the peer sent without ever pausing the writer: the window, not the pipe, bounds it, and the writer is
    // the connection's read loop, which must never wait on one stream. The socket pump's continuation runs inline,
    // on the read loop inside its flush, up to its first await that does not complete at once (a socket send with no
    // room, a credit frame behind another sender): a small message goes out to the socket without a hop to the thread
    // pool, and the read loop still never waits for the stream.
    private readonly Pipe _inbound = new(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: SegmentBytes, useSynchronizationContext: false));
    private readonly SemaphoreSlim _creditArrived = new(0);
    private readonly CancellationTokenSource _aborted = new();
    private readonly ITunnelFrames _frames;
    private long _inFlight;   // bytes the peer sent that are not yet on the socket and credited back (≤ ReceiveWindow)
    private long _sendCredit; // bytes this side may still send
    private bool _peerEnded;  // the peer sent eof (read loop only)
    private Exception? _failure;

    /// <param name="receiveWindow">What this side offers: the bytes the peer may send before it grants more.</param>
    /// <param name="frames">Where this side's frames go.</param>
    public TunnelChannel(int receiveWindow, ITunnelFrames frames)
    {
        ReceiveWindow = receiveWindow;
        _frames = frames;
    }

    /// <summary>The bytes the peer may have in flight towards this side.</summary>
    public int ReceiveWindow { get; }

    /// <summary>Bytes read from the socket and sent, and bytes received and written to the socket.</summary>
    public long BytesSent { get; private set; }

    public long BytesReceived { get; private set; }

    /// <summary>
    /// Grants this side <paramref name="bytes"/> more to send (the peer's <c>forward.ready</c> window, then each
    /// <c>forward.credit</c>). Credit that is not positive, or would take the total past 2^31, is the peer's mistake.
    /// </summary>
    public void AddCredit(long bytes)
    {
        if (bytes <= 0 || Volatile.Read(ref _sendCredit) + bytes > int.MaxValue)
        {
            throw new FerryException(ProtocolError.BadRequest,
                $"'forward.credit' must grant 1 or more bytes and keep the total under 2^31 (got {bytes} with {Volatile.Read(ref _sendCredit)} unused)");
        }
        Interlocked.Add(ref _sendCredit, bytes);
        try
        {
            // Only the read loop adds credit, so the count stays 0 or 1: the pump re-checks the credit after each wake-up.
            if (_creditArrived.CurrentCount == 0) _creditArrived.Release();
        }
        catch (ObjectDisposedException)
        {
            // The stream ended while this frame was on its way; nothing is waiting for credit any more.
        }
    }

    /// <summary>
    /// Takes a <c>forward.data</c> frame's body off the connection (on the read loop) and queues it for the socket. Data
    /// past the window this side offered, or after the peer's eof, breaks the flow-control contract: a
    /// <see cref="FerryException"/> the caller answers on the stream's id (the stream then ends; the connection goes on).
    /// </summary>
    public async ValueTask OnDataAsync(FrameBodyReader body, bool eof, CancellationToken cancellationToken)
    {
        long size = body.Remaining;
        if (_peerEnded)
        {
            throw new FerryException(ProtocolError.BadRequest, $"'forward.data' after this stream's eof ({size} bytes); an ended side sends nothing more");
        }
        long inFlight = Interlocked.Add(ref _inFlight, size);
        if (inFlight > ReceiveWindow)
        {
            throw new FerryException(ProtocolError.BadRequest,
                $"'forward.data' of {size} bytes goes past the window: {inFlight - size} bytes were already in flight and the window is {ReceiveWindow}; wait for 'forward.credit'");
        }
        var writer = _inbound.Writer;
        while (body.Remaining > 0)
        {
            var chunk = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
            foreach (var segment in chunk)
            {
                var span = segment.Span;
                while (!span.IsEmpty)
                {
                    var target = writer.GetSpan(Math.Min(span.Length, SegmentBytes));
                    int n = Math.Min(target.Length, span.Length);
                    span[..n].CopyTo(target);
                    writer.Advance(n);
                    span = span[n..];
                }
            }
            body.Advance(chunk.Length);
        }
        // Never waits: the pipe has no pause threshold.
        if (size > 0) await writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        if (eof)
        {
            _peerEnded = true;
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops the pumps (the stream failed or was cancelled elsewhere); <see cref="RunAsync"/> then ends with <paramref name="reason"/>.</summary>
    public void Abort(Exception reason)
    {
        Interlocked.CompareExchange(ref _failure, reason, null);
        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
    }

    /// <summary>
    /// Carries the stream between <paramref name="socket"/> and the peer until both directions have ended: this side's
    /// socket said end of file (sent as <c>forward.data</c> with <c>eof</c>) and the peer's eof has been passed on
    /// (the socket's sending side shut down, a TCP FIN). A socket error, an abort or cancellation ends it with an
    /// exception. Does not close the socket.
    /// </summary>
    public async Task RunAsync(Socket socket, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _aborted.Token);
        var outbound = GuardAsync(PumpOutAsync(socket, stop.Token), stop);
        var inbound = GuardAsync(PumpInAsync(socket, stop.Token), stop);
        await Task.WhenAll(outbound, inbound).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (Volatile.Read(ref _failure) is { } failure) ExceptionDispatchInfo.Throw(failure);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Releases the signals; a frame for the stream arriving later finds nothing to wake.</summary>
    public void Dispose()
    {
        _creditArrived.Dispose();
        _aborted.Dispose();
    }

    // The first failure of either pump is the stream's; it stops the other.
    private async Task GuardAsync(Task pump, CancellationTokenSource stop)
    {
        try
        {
            await pump.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            if (!(ex is OperationCanceledException && stop.IsCancellationRequested)) Interlocked.CompareExchange(ref _failure, ex, null);
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    // Socket → peer, as far as the credit reaches: with none left the socket is not read, so TCP slows the writer there.
    private async Task PumpOutAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ForwardLimits.ChunkBytes);
        try
        {
            while (true)
            {
                long credit;
                while ((credit = Volatile.Read(ref _sendCredit)) <= 0) await _creditArrived.WaitAsync(cancellationToken).ConfigureAwait(false);
                int n = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(ForwardLimits.ChunkBytes, credit)), SocketFlags.None, cancellationToken)
                    .ConfigureAwait(false);
                if (n == 0)
                {
                    await _frames.SendDataAsync(ReadOnlyMemory<byte>.Empty, eof: true, cancellationToken).ConfigureAwait(false);
                    return;
                }
                Interlocked.Add(ref _sendCredit, -n);
                BytesSent += n;
                await _frames.SendDataAsync(buffer.AsMemory(0, n), eof: false, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Peer → socket. Credit goes back once a quarter of the window has reached the socket, so a fast stream keeps the
    // peer sending (it never drains the window) without one credit frame per data frame.
    private async Task PumpInAsync(Socket socket, CancellationToken cancellationToken)
    {
        var reader = _inbound.Reader;
        long owed = 0;
        long threshold = Math.Max(1, ReceiveWindow / 4);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    await socket.SendAsync(segment, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                }
                long n = buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    BytesReceived += n;
                    // The peer's FIN, passed on; nothing more to credit (the peer sends no more).
                    socket.Shutdown(SocketShutdown.Send);
                    return;
                }
                if (n == 0) continue;
                BytesReceived += n;
                Interlocked.Add(ref _inFlight, -n);
                owed += n;
                if (owed >= threshold)
                {
                    await _frames.SendCreditAsync(owed, cancellationToken).ConfigureAwait(false);
                    owed = 0;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }
}

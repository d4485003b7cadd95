using System.IO.Pipelines;
using System.Net.WebSockets;

namespace Ferry.Server.Web;

/// <summary>
/// A WebSocket as a connection's byte pipes, so the frame loop runs over it unchanged. The binding
/// (docs/protocol.md, "WebSocket binding") is a byte stream: each binary message carries any slice of it, so
/// received messages are appended to <see cref="Input"/> as they come (a message of any size is streamed, never held
/// whole), and every flush of <see cref="Output"/> leaves as binary messages of its segments. A text message breaks
/// the binding: the socket is closed with 1003 (unsupported data) and the input ends as a transport failure.
/// </summary>
internal sealed class WebSocketPipe : IDuplexPipe, IDisposable
{
    // Receive runs up to 4 MiB ahead of the frame loop, as on TCP (FerryServerBuilder's MaxReadBufferSize); sends wait
    // once 1 MiB is queued, so a peer that stops reading stalls the sender (back-pressure) instead of growing memory.
    private const int ReceiveChunkBytes = 64 * 1024;
    private readonly WebSocket _socket;
    private readonly Pipe _received = new(new PipeOptions(pauseWriterThreshold: 4 * 1024 * 1024, resumeWriterThreshold: 2 * 1024 * 1024,
        minimumSegmentSize: ReceiveChunkBytes, useSynchronizationContext: false));
    private readonly Pipe _toSend = new(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024,
        useSynchronizationContext: false));
    private readonly CancellationTokenSource _aborted = new();
    // One send at a time on a WebSocket: the send pump's messages and either pump's close share this.
    private readonly SemaphoreSlim _sending = new(1, 1);

    public WebSocketPipe(WebSocket socket) => _socket = socket;

    public PipeReader Input => _received.Reader;

    public PipeWriter Output => _toSend.Writer;

    /// <summary>Set when the peer broke the binding (a text message); the reason the socket was closed with.</summary>
    public string? BindingViolation { get; private set; }

    /// <summary>Tears the socket down at once: pending reads and writes fail.</summary>
    public void Abort()
    {
        _socket.Abort();
        _aborted.Cancel();
    }

    /// <summary>Frees the pumps' token and lock; call once <see cref="RunAsync"/> has completed.</summary>
    public void Dispose()
    {
        _aborted.Dispose();
        _sending.Dispose();
    }

    /// <summary>Pumps messages in and out until both directions have ended (or the socket was aborted).</summary>
    public Task RunAsync() => Task.WhenAll(ReceiveAsync(), SendAsync());

    private async Task ReceiveAsync()
    {
        var writer = _received.Writer;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(ReceiveChunkBytes);
                var result = await _socket.ReceiveAsync(memory, _aborted.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await writer.CompleteAsync().ConfigureAwait(false);
                    return;
                }
                if (result.MessageType == WebSocketMessageType.Text)
                {
                    BindingViolation = "a text message: the Ferry WebSocket binding carries binary messages only";
                    await CloseWithAsync(WebSocketCloseStatus.InvalidMessageType, "ferry: binary messages only").ConfigureAwait(false);
                    await writer.CompleteAsync(new IOException(BindingViolation)).ConfigureAwait(false);
                    return;
                }
                writer.Advance(result.Count);
                var flush = await writer.FlushAsync(_aborted.Token).ConfigureAwait(false);
                if (flush.IsCompleted) return; // the frame loop stopped reading
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            await writer.CompleteAsync(new IOException("the WebSocket closed: " + ex.Message, ex)).ConfigureAwait(false);
        }
    }

    private async Task SendAsync()
    {
        var reader = _toSend.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_aborted.Token).ConfigureAwait(false);
                await _sending.WaitAsync(_aborted.Token).ConfigureAwait(false);
                try
                {
                    foreach (var segment in result.Buffer)
                    {
                        await _socket.SendAsync(segment, WebSocketMessageType.Binary, endOfMessage: true, _aborted.Token).ConfigureAwait(false);
                    }
                }
                finally
                {
                    _sending.Release();
                }
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled) break;
            }
            // The frame loop completed its output (closing, or a final error sent): the WebSocket's own close follows.
            await CloseWithAsync(WebSocketCloseStatus.NormalClosure, "").ConfigureAwait(false);
            await reader.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            await reader.CompleteAsync(new IOException("the WebSocket closed: " + ex.Message, ex)).ConfigureAwait(false);
        }
    }

    private async Task CloseWithAsync(WebSocketCloseStatus status, string reason)
    {
        try
        {
            await _sending.WaitAsync(_aborted.Token).ConfigureAwait(false);
            try
            {
                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(status, reason, _aborted.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _sending.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer is gone, or the other pump closed first.
        }
    }
}

using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text.Json.Serialization.Metadata;
using Ferry.Protocol;

namespace Ferry.Connections;

/// <summary>
/// One framed connection over a duplex pipe, used by both server and client: exactly one read loop
/// (<see cref="RunAsync"/>), whole frames written under one lock, and a single close reason.
/// It knows frames, not what they mean.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2213", Justification = "_writeLock never hands out a wait handle and _closed has no timer, so neither holds anything the GC does not reclaim. Both outlive DisposeAsync on purpose: senders and the Closed token's users may still touch them after the connection ends, and a disposed semaphore or source would turn a clean 'connection closed' into ObjectDisposedException.")]
public sealed partial class FrameConnection : IAsyncDisposable
{
    /// <summary>
    /// Bodies are flushed in chunks of this size so a large body never sits whole in the pipe. Each flush wakes
    /// the socket sender (and under TLS ends one coalesced send), so bulk bodies want it large; 256 KiB keeps the
    /// wake-ups per GiB low while memory per connection stays small.
    /// </summary>
    internal const int FlushChunkBytes = 256 * 1024;

    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Action _abortTransport;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly FrameBodyReader _body;
    private readonly CancellationTokenSource _closed = new();
    private int _closeReason; // CloseReason; first one wins
    private bool _failed;
    private long _bytesIn, _bytesOut;
    private long _flushesDone; // flushes finished; unchanged across a grace period means the same flush is stuck
    private Task? _disposal; // the first DisposeAsync's work; later calls await the same task

    /// <param name="transport">The byte pipes (socket, TLS stream, or in-memory).</param>
    /// <param name="abortTransport">Tears the transport down at once (socket close / Kestrel abort).</param>
    public FrameConnection(IDuplexPipe transport, Action abortTransport)
    {
        _input = transport.Input;
        _output = transport.Output;
        _abortTransport = abortTransport;
        _body = new FrameBodyReader(_input);
    }

    /// <summary>
    /// How long a send whose caller cancelled mid-frame may still take to finish that frame before the connection is
    /// closed (a peer that stopped reading). Bytes of a frame already begun are never abandoned any other way.
    /// </summary>
    public TimeSpan StuckFlushGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After a final error frame, how long the peer may take to close its side before the socket closes anyway
    /// (closing with unread input would reset the connection and could destroy the error before it is read).
    /// </summary>
    public TimeSpan LingerTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long closing waits for a frame being written to finish before the transport is torn down.</summary>
    public TimeSpan CloseWriteTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock behind every timeout above (tests drive it with a fake one).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>The largest header accepted; lowered before authentication.</summary>
    public int MaxHeaderBytes { get; set; } = FrameCodec.DefaultMaxHeaderBytes;

    /// <summary>Whether bodies are accepted at all (false before authentication).</summary>
    public bool AllowBodies { get; set; } = true;

    /// <summary>Why the connection closed, or <see cref="Connections.CloseReason.None"/> while open.</summary>
    public CloseReason CloseReason => (CloseReason)Volatile.Read(ref _closeReason);

    /// <summary>A human-readable detail for the close reason, when there is one.</summary>
    public string? CloseMessage { get; private set; }

    /// <summary>Cancelled when the connection closes, for any reason.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Header and body bytes received so far.</summary>
    public long BytesIn => Interlocked.Read(ref _bytesIn);

    /// <summary>Header and body bytes written so far.</summary>
    public long BytesOut => Interlocked.Read(ref _bytesOut);

    /// <summary>
    /// Runs the read loop until the peer closes, the framing breaks, or the token fires, handing each
    /// frame to <paramref name="handler"/>. A framing error is answered with a final error frame.
    /// </summary>
    public async Task<CloseReason> RunAsync(IFrameHandler handler, CancellationToken cancellationToken = default)
    {
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
                _body.Track(result);
                if (result.IsCanceled) return Close(CloseReason.LocalClosed);
                var buffer = result.Buffer;
                bool completed = result.IsCompleted;
                while (true)
                {
                    var reader = new SequenceReader<byte>(buffer);
                    if (!FrameCodec.TryReadHeader(ref reader, MaxHeaderBytes, out var header)) break;
                    if (header.Size > 0 && !AllowBodies)
                    {
                        throw new ProtocolException(ProtocolError.Unauthenticated,
                            $"unauthenticated: no frame may carry a body before authentication ('{header.Type}' had {header.Size} bytes)");
                    }
                    Interlocked.Add(ref _bytesIn, reader.Consumed + header.Size);
                    _body.Begin(buffer.Slice(reader.Position), completed, header.Size);
                    await handler.OnFrameAsync(header, _body, cancellationToken).ConfigureAwait(false);
                    if (_failed)
                    {
                        await LingerAsync().ConfigureAwait(false);
                        return CloseReason;
                    }
                    if (_body.Remaining > 0) await _body.SkipAsync(cancellationToken).ConfigureAwait(false);
                    buffer = _body.Buffer;
                    completed = _body.Completed;
                }
                if (completed)
                {
                    if (!buffer.IsEmpty)
                    {
                        throw new ProtocolException(ProtocolError.TruncatedFrame,
                            $"the stream ended inside a frame ({buffer.Length} byte(s) of it arrived)");
                    }
                    return Close(CloseReason.PeerClosed);
                }
                _input.AdvanceTo(buffer.Start, buffer.End);
                _body.Untrack();
            }
        }
        catch (ProtocolException ex)
        {
            Close(CloseReason.ProtocolError, ex.Message);
            await TrySendFinalErrorAsync(ex.Error, ex.Message).ConfigureAwait(false);
            await LingerAsync().ConfigureAwait(false);
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Close(CloseReason.LocalClosed);
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            return Close(CloseReason.PeerClosed, ex.Message);
        }
        finally
        {
            _closed.Cancel();
        }
    }

    /// <summary>Sends a frame with no body.</summary>
    public ValueTask SendAsync(string type, long id, CancellationToken cancellationToken = default) =>
        SendAsync<object>(type, id, null, null, ReadOnlySequence<byte>.Empty, cancellationToken);

    /// <summary>Sends a frame whose header carries <paramref name="payload"/>'s fields, with no body.</summary>
    public ValueTask SendAsync<T>(string type, long id, T payload, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        SendAsync(type, id, payload, typeInfo, ReadOnlySequence<byte>.Empty, cancellationToken);

    /// <summary>Sends a frame with an in-memory body.</summary>
    public ValueTask SendAsync<T>(string type, long id, T? payload, JsonTypeInfo<T>? typeInfo, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        SendAsync(type, id, payload, typeInfo, new ReadOnlySequence<byte>(body), cancellationToken);

    /// <summary>Sends one whole frame. Concurrent senders queue; a frame never interleaves with another.</summary>
    public async ValueTask SendAsync<T>(string type, long id, T? payload, JsonTypeInfo<T>? typeInfo, ReadOnlySequence<byte> body, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            // The last point where cancelling is harmless: once a frame's first byte is written it must be finished,
            // so the flushes below are not cut short (FlushCoreAsync).
            cancellationToken.ThrowIfCancellationRequested();
            FrameHeaderWriter.ForCurrentThread.Write(_output, type, id, body.Length, payload, typeInfo);
            long written = _output.UnflushedBytes;
            if (body.Length <= FlushChunkBytes)
            {
                foreach (var segment in body) _output.Write(segment.Span);
                written = _output.UnflushedBytes;
                await FlushCoreAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await FlushCoreAsync(cancellationToken).ConfigureAwait(false);
                foreach (var segment in body)
                {
                    for (int offset = 0; offset < segment.Length; offset += FlushChunkBytes)
                    {
                        var part = segment.Slice(offset, Math.Min(FlushChunkBytes, segment.Length - offset));
                        _output.Write(part.Span);
                        await FlushCoreAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                written += body.Length;
            }
            Interlocked.Add(ref _bytesOut, written);
        }
        catch (Exception ex) when (IsTransportFailure(ex) || IsCompletedPipe(ex))
        {
            throw Closing(ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends an <c>error</c> frame answering request <paramref name="id"/>.</summary>
    public ValueTask SendErrorAsync(long id, ProtocolError error, string message, CancellationToken cancellationToken = default) =>
        SendAsync(MessageTypes.Error, id, new ErrorMessage { Code = ProtocolErrorCodes.ToWire(error), Message = message },
            ProtocolJsonContext.Default.ErrorMessage, cancellationToken);

    /// <summary>Closes at once, for <paramref name="reason"/>: pending reads and writes fail.</summary>
    public void Abort(CloseReason reason, string? message = null)
    {
        Close(reason, message);
        _abortTransport();
        _closed.Cancel();
    }

    /// <summary>Stops the read loop gracefully (it returns <see cref="Connections.CloseReason.LocalClosed"/>).</summary>
    public void CancelPendingRead() => _input.CancelPendingRead();

    /// <summary>
    /// Refuses the peer from inside a frame handler: sends a final error frame, half-closes, and makes the read loop
    /// end once the handler returns. For protocol or authentication failures found above the framing layer.
    /// </summary>
    public async ValueTask FailAsync(CloseReason reason, ProtocolError error, string message)
    {
        Close(reason, message);
        _failed = true;
        await TrySendFinalErrorAsync(error, message).ConfigureAwait(false);
    }

    // Closing a socket with unread input makes the kernel send RST, which can destroy the final error frame
    // before the peer reads it. So: send FIN after the error, then read and discard briefly until the peer closes.
    private async ValueTask LingerAsync()
    {
        try
        {
            await _output.CompleteAsync().ConfigureAwait(false);
            _body.ReleaseOutstanding(_input);
            using var deadline = new CancellationTokenSource(LingerTimeout, Time);
            long discarded = 0;
            while (discarded < 1024 * 1024)
            {
                var result = await _input.ReadAsync(deadline.Token).ConfigureAwait(false);
                discarded += result.Buffer.Length;
                _input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled) break;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException || IsTransportFailure(ex))
        {
            // The peer did not close in time, or is already gone; the socket closes now either way.
        }
    }

    /// <summary>
    /// Closes the connection: waits for a frame being written to finish (a peer that stopped reading gets the
    /// transport torn down instead), then completes both pipes. Idempotent: every call, concurrent or later,
    /// shares the first one's work and returns as soon as it is done.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        var disposal = Volatile.Read(ref _disposal);
        if (disposal is null)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            disposal = Interlocked.CompareExchange(ref _disposal, started.Task, null);
            if (disposal is null)
            {
                _ = DisposeCoreAsync(started);
                disposal = started.Task;
            }
        }
        return new ValueTask(disposal);
    }

    private async Task DisposeCoreAsync(TaskCompletionSource done)
    {
        try
        {
            Close(CloseReason.LocalClosed);
            _closed.Cancel();
            if (!await WaitForWriteLockAsync(CloseWriteTimeout).ConfigureAwait(false))
            {
                // A send is stuck on a peer that stopped reading; tearing the transport down ends it.
                _abortTransport();
                return;
            }
            try
            {
                await _output.CompleteAsync().ConfigureAwait(false);
                await _input.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransportFailure(ex))
            {
                // The peer is already gone; nothing left to flush.
            }
            finally
            {
                // Later senders find the connection closed (ThrowIfClosed) instead of queueing on the lock forever.
                _writeLock.Release();
            }
        }
        catch (Exception ex)
        {
            done.TrySetException(ex);
        }
        finally
        {
            done.TrySetResult(); // no-op after an exception
        }
    }

    // A request's token never cuts a flush short: a flush stopped midway may leave half a TLS record (or half a
    // frame) on the wire, and the peer would see a corrupt stream. A cancelled caller's flush gets a grace period to
    // finish (a busy but healthy peer takes its bytes in milliseconds); one still stuck after that is on a peer that
    // stopped reading, and the only safe way out is to close the whole connection.
    internal ValueTask FlushCoreAsync(CancellationToken cancellationToken)
    {
        var flush = _output.FlushAsync(CancellationToken.None);
        if (flush.IsCompletedSuccessfully)
        {
            Flushed(flush.Result);
            return ValueTask.CompletedTask;
        }
        return AwaitFlushAsync(flush, cancellationToken);
    }

    private async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flush, CancellationToken cancellationToken)
    {
        long flushing = Volatile.Read(ref _flushesDone);
        using (cancellationToken.UnsafeRegister(static state =>
        {
            var (connection, flushing) = ((FrameConnection, long))state!;
            _ = connection.AbortIfStillFlushingAsync(flushing);
        }, (this, flushing)))
        {
            Flushed(await flush.ConfigureAwait(false));
        }
    }

    private void Flushed(FlushResult result)
    {
        Interlocked.Increment(ref _flushesDone);
        if (result.IsCompleted || result.IsCanceled) throw Closing(null);
    }

    // SemaphoreSlim's own timeout runs on the system clock; a token from Time keeps the wait on the injected one.
    private async Task<bool> WaitForWriteLockAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout, Time);
        try
        {
            await _writeLock.WaitAsync(deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task AbortIfStillFlushingAsync(long flushing)
    {
        await Task.Delay(StuckFlushGrace, Time).ConfigureAwait(false);
        if (Volatile.Read(ref _flushesDone) == flushing)
        {
            Abort(CloseReason.Timeout, "a cancelled send could not finish its frame: the peer stopped reading");
        }
    }

    private CloseReason Close(CloseReason reason, string? message = null)
    {
        if (Interlocked.CompareExchange(ref _closeReason, (int)reason, (int)CloseReason.None) == (int)CloseReason.None)
        {
            CloseMessage = message;
        }
        return CloseReason;
    }

    private void ThrowIfClosed()
    {
        if (_closed.IsCancellationRequested && CloseReason != CloseReason.None)
        {
            throw new ConnectionClosedException($"the connection is closed ({CloseMessage ?? CloseReason.ToString()})", CloseReason);
        }
    }

    private ConnectionClosedException Closing(Exception? inner)
    {
        Close(CloseReason.PeerClosed, inner?.Message);
        return new ConnectionClosedException("the connection closed while sending", CloseReason, inner);
    }

    private async ValueTask TrySendFinalErrorAsync(ProtocolError error, string message)
    {
        // Best effort with a short deadline: a peer that stopped reading must not hold the connection open.
        using var timeout = new CancellationTokenSource(LingerTimeout, Time);
        try
        {
            await _writeLock.WaitAsync(timeout.Token).ConfigureAwait(false);
            try
            {
                FrameHeaderWriter.ForCurrentThread.Write(_output, MessageTypes.Error, 0, 0,
                    new ErrorMessage { Code = ProtocolErrorCodes.ToWire(error), Message = message },
                    ProtocolJsonContext.Default.ErrorMessage);
                await _output.FlushAsync(timeout.Token).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException || IsTransportFailure(ex))
        {
            // The peer is gone or not reading; the close proceeds regardless.
        }
    }

    /// <summary>
    /// Whether <paramref name="ex"/> means the transport went away (reset, aborted, disposed).
    /// Kestrel's ConnectionResetException is an IOException; its ConnectionAbortedException is named here.
    /// An <see cref="InvalidOperationException"/> is never one: it is this process's own bug or a decoding failure,
    /// and passing it off as "the peer left" would close a connection with no error frame and no log line.
    /// </summary>
    public static bool IsTransportFailure(Exception ex) =>
        ex is IOException or SocketException or ObjectDisposedException
            or Microsoft.AspNetCore.Connections.ConnectionAbortedException;

    /// <summary>
    /// Whether <paramref name="ex"/>, thrown by work on this connection, means the connection went away: a transport
    /// failure, or the <see cref="InvalidOperationException"/> a pipe throws once this connection completed it (work
    /// racing the close). While the connection is open an <see cref="InvalidOperationException"/> is a fault.
    /// </summary>
    public bool IsClosingFailure(Exception ex) => IsTransportFailure(ex) || IsCompletedPipe(ex);

    private bool IsCompletedPipe(Exception ex) => ex is InvalidOperationException && CloseReason != CloseReason.None;
}

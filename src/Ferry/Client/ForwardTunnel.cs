using System.Net.Sockets;
using Ferry.Connections;
using Ferry.Contracts.Forward;
using Ferry.Protocol;
using Ferry.Transfers;

namespace Ferry.Client;

/// <summary>
/// One forwarded TCP stream, open on the server (<c>forward.ready</c> arrived): <see cref="RunAsync"/> carries a local
/// socket through it until both sides have closed. From <see cref="FerryForwardClientExtensions.OpenForwardAsync"/> or
/// <see cref="RemoteForwardConnection.AcceptAsync"/>. Disposing a tunnel that did not finish cancels it on the server.
/// </summary>
public sealed class ForwardTunnel : IAsyncDisposable
{
    private readonly FerryClient _client;
    private readonly TunnelSink _sink;
    private bool _ran;

    internal ForwardTunnel(FerryClient client, long id, TunnelSink sink, string? remoteAddress)
    {
        _client = client;
        Id = id;
        _sink = sink;
        RemoteAddress = remoteAddress;
    }

    /// <summary>The request id the stream lives on.</summary>
    public long Id { get; }

    /// <summary>The address the server connected to (<c>ip:port</c>), or for a remote forward who connected to the server.</summary>
    public string? RemoteAddress { get; }

    /// <summary>Bytes read from the local socket and sent, and bytes received and written to it.</summary>
    public long BytesSent => _sink.Channel.BytesSent;

    /// <summary>Bytes received from the far end so far.</summary>
    public long BytesReceived => _sink.Channel.BytesReceived;

    /// <summary>
    /// Carries <paramref name="socket"/> through the tunnel until both directions have ended: its end of file goes to
    /// the server as a half-close, the server's as <c>Shutdown(Send)</c> on the socket, and the server's
    /// <c>forward.close</c> ends it. The socket is not closed; when the stream breaks (the server's side reset, or
    /// the local one), the socket is set to reset on close, so the local peer learns it too.
    /// </summary>
    /// <exception cref="FerryException">The server ended the stream with an error (the destination reset it, cancelled).</exception>
    /// <exception cref="SocketException">The local socket failed.</exception>
    public async Task RunAsync(Socket socket, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (_ran) throw new InvalidOperationException("a forward tunnel carries one socket, once");
        _ran = true;
        try
        {
            await _sink.Channel.RunAsync(socket, cancellationToken).ConfigureAwait(false);
            await _sink.Closed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.LingerState = new LingerOption(true, 0);
            if (!_sink.ServerEnded) await _client.TrySendCancelAsync(Id).ConfigureAwait(false);
            if (_sink.Closed.IsFaulted && _sink.Closed.Exception?.InnerException is FerryException server) throw server;
            throw;
        }
    }

    /// <summary>Closes the stream (a <c>forward.close</c>, best effort) and stops relaying.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_sink.ServerEnded) await _client.TrySendCancelAsync(Id).ConfigureAwait(false);
        _client.Unregister(Id);
        _sink.Channel.Abort(new OperationCanceledException("the tunnel was disposed"));
        _sink.Channel.Dispose();
    }
}

/// <summary>The channel's frames, straight onto the client's connection.</summary>
internal sealed class ClientTunnelFrames(FrameConnection connection, long id) : ITunnelFrames
{
    private static readonly ForwardDataMessage s_data = new();
    private static readonly ForwardDataMessage s_eof = new() { Eof = true };

    public ValueTask SendDataAsync(ReadOnlyMemory<byte> data, bool eof, CancellationToken cancellationToken) =>
        connection.SendAsync(MessageTypes.ForwardData, id, eof ? s_eof : s_data, ForwardJsonContext.Default.ForwardDataMessage, data, cancellationToken);

    public ValueTask SendCreditAsync(long bytes, CancellationToken cancellationToken) =>
        connection.SendAsync(MessageTypes.ForwardCredit, id, new ForwardCreditMessage { Bytes = bytes }, ForwardJsonContext.Default.ForwardCreditMessage,
            cancellationToken);
}

/// <summary>
/// Receives one stream's frames on the client's read loop: <c>forward.ready</c> opens it, data and credit go to the
/// channel (queued, never written to the socket here), <c>forward.close</c> or an error ends it. A server that breaks
/// the window ends this stream only.
/// </summary>
internal sealed class TunnelSink(TunnelChannel channel) : IResponseSink
{
    private readonly TaskCompletionSource<ForwardReadyMessage> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TunnelChannel Channel { get; } = channel;

    public Task<ForwardReadyMessage> Ready => _ready.Task;

    /// <summary>Completes with <c>forward.close</c>, or fails with the server's error.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Whether the server ended the exchange (<c>forward.close</c> or an error): then nothing needs cancelling there.</summary>
    public bool ServerEnded { get; private set; }

    public async ValueTask OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
    {
        try
        {
            if (ReferenceEquals(header.Type, MessageTypes.ForwardData))
            {
                if (!_ready.Task.IsCompletedSuccessfully) throw new FerryException(ProtocolError.BadRequest, "the server sent 'forward.data' before 'forward.ready'");
                var data = header.ReadPayload(ForwardJsonContext.Default.ForwardDataMessage);
                await Channel.OnDataAsync(body, data.Eof, cancellationToken).ConfigureAwait(false);
            }
            else if (ReferenceEquals(header.Type, MessageTypes.ForwardCredit))
            {
                Channel.AddCredit(header.ReadPayload(ForwardJsonContext.Default.ForwardCreditMessage).Bytes);
            }
            else if (ReferenceEquals(header.Type, MessageTypes.ForwardReady))
            {
                var ready = header.ReadPayload(ForwardJsonContext.Default.ForwardReadyMessage);
                if (!ForwardLimits.IsValidWindow(ready.Window))
                {
                    throw new FerryException(ProtocolError.BadRequest, $"the server offered a window of {ready.Window} bytes; windows are {ForwardLimits.MinWindowBytes} to {ForwardLimits.MaxWindowBytes}");
                }
                Channel.AddCredit(ready.Window);
                _ready.TrySetResult(ready);
            }
            else if (ReferenceEquals(header.Type, MessageTypes.ForwardClose))
            {
                ServerEnded = true;
                _closed.TrySetResult();
                _ready.TrySetException(new FerryException(ProtocolError.BadRequest, "the server closed the stream before it was ready"));
            }
            else if (ReferenceEquals(header.Type, MessageTypes.Error))
            {
                ServerEnded = true;
                Fail(ErrorFrames.ToException(header));
            }
            else
            {
                throw new FerryException(ProtocolError.BadRequest, $"unexpected '{header.Type}' frame in a forwarded stream");
            }
        }
        catch (FerryException ex)
        {
            Fail(ex);
        }
    }

    public void Fail(Exception exception)
    {
        _ready.TrySetException(exception);
        _closed.TrySetException(exception);
        Channel.Abort(exception);
    }
}

using System.Threading.Channels;
using Ferry.Connections;
using Ferry.Contracts.Forward;
using Ferry.Protocol;

namespace Ferry.Client;

/// <summary>
/// A listener on the server (<c>forward.listen</c>, <c>ssh -R</c>): each connection it accepts arrives here through
/// <see cref="AcceptAsync"/>, to be taken as a tunnel or declined. Disposing it stops the listener on the server.
/// </summary>
public sealed class RemoteForwardListener : IAsyncDisposable
{
    private readonly FerryClient _client;

    internal RemoteForwardListener(FerryClient client, long id)
    {
        _client = client;
        Id = id;
        Sink = new ListenSink();
    }

    internal ListenSink Sink { get; }

    /// <summary>The request id the listener lives on.</summary>
    public long Id { get; }

    /// <summary>The server's address it listens on.</summary>
    public string Address { get; private set; } = "";

    /// <summary>The port it listens on (the real one when 0 was asked for).</summary>
    public int Port { get; private set; }

    internal void Bound(ForwardListeningMessage listening)
    {
        Address = listening.Bind ?? "";
        Port = listening.Port;
    }

    /// <summary>Waits for the next connection the server accepted.</summary>
    /// <exception cref="FerryException">The listener ended on the server (cancelled, the connection closed).</exception>
    public async ValueTask<RemoteForwardConnection> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var incoming = await Sink.Incoming.ReadAsync(cancellationToken).ConfigureAwait(false);
            return new RemoteForwardConnection(_client, Id, incoming.Conn, incoming.From);
        }
        catch (ChannelClosedException ex) when (ex.InnerException is { } reason)
        {
            throw reason is FerryException or ConnectionClosedException ? reason : new FerryException(ProtocolError.Internal, reason.Message);
        }
    }

    /// <summary>Asks the server to stop listening (best effort); connections already accepted go on.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Sink.Ended) await _client.TrySendCancelAsync(Id).ConfigureAwait(false);
        _client.Unregister(Id);
        Sink.Fail(new FerryException(ProtocolError.Cancelled, "the remote forward listener was closed"));
    }
}

/// <summary>One connection a remote listener accepted on the server, waiting for this side to take it or decline it.</summary>
public sealed class RemoteForwardConnection
{
    private readonly FerryClient _client;
    private readonly long _listener;

    internal RemoteForwardConnection(FerryClient client, long listener, long conn, string? from)
    {
        _client = client;
        _listener = listener;
        Conn = conn;
        From = from ?? "?";
    }

    /// <summary>Its number on the listener.</summary>
    public long Conn { get; }

    /// <summary>Who connected to the server, <c>ip:port</c>.</summary>
    public string From { get; }

    /// <summary>Takes the connection as a tunnel (<c>forward.accept</c> on a new id).</summary>
    /// <exception cref="FerryException">It is no longer waiting (timed out on the server), or a cap was reached (<c>busy</c>).</exception>
    public Task<ForwardTunnel> AcceptAsync(CancellationToken cancellationToken = default) =>
        FerryForwardClientExtensions.OpenAsync(_client, (connection, id, window, ct) => connection.SendAsync(MessageTypes.ForwardAccept, id,
            new ForwardAcceptRequest { Listen = _listener, Conn = Conn, Window = window }, ForwardJsonContext.Default.ForwardAcceptRequest, ct),
            cancellationToken);

    /// <summary>Declines it: the server closes it. Best effort.</summary>
    public async ValueTask DeclineAsync()
    {
        try
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _client.Connection.SendAsync(MessageTypes.ForwardDecline, _listener, new ForwardDeclineMessage { Conn = Conn },
                ForwardJsonContext.Default.ForwardDeclineMessage, quick.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection is going away; the server closes what was waiting.
        }
    }
}

/// <summary>Receives a listener's frames: <c>forward.listening</c> once, then a <c>forward.incoming</c> per connection, until an error.</summary>
internal sealed class ListenSink : IResponseSink
{
    private readonly TaskCompletionSource<ForwardListeningMessage> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Bounded like the server's pending list: past it the server closes connections anyway.
    private readonly Channel<ForwardIncomingMessage> _incoming = Channel.CreateBounded<ForwardIncomingMessage>(
        new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = false, SingleWriter = true });

    public Task<ForwardListeningMessage> Listening => _listening.Task;

    public ChannelReader<ForwardIncomingMessage> Incoming => _incoming.Reader;

    /// <summary>Whether the server ended the listener (an error frame).</summary>
    public bool Ended { get; private set; }

    public ValueTask OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
    {
        try
        {
            if (ReferenceEquals(header.Type, MessageTypes.ForwardIncoming))
            {
                _incoming.Writer.TryWrite(header.ReadPayload(ForwardJsonContext.Default.ForwardIncomingMessage));
            }
            else if (ReferenceEquals(header.Type, MessageTypes.ForwardListening))
            {
                _listening.TrySetResult(header.ReadPayload(ForwardJsonContext.Default.ForwardListeningMessage));
            }
            else if (ReferenceEquals(header.Type, MessageTypes.Error))
            {
                Ended = true;
                Fail(ErrorFrames.ToException(header));
            }
        }
        catch (FerryException ex)
        {
            Fail(ex);
        }
        return ValueTask.CompletedTask;
    }

    public void Fail(Exception exception)
    {
        _listening.TrySetException(exception);
        _incoming.Writer.TryComplete(exception);
    }
}

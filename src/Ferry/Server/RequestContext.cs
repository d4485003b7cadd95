using System.Buffers;
using System.Net;
using System.Text.Json.Serialization.Metadata;
using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Security;

namespace Ferry.Server;

/// <summary>
/// One request as its service sees it, bound to the request's id: read its header fields and body, send frames on
/// its id, reply (the final frame, which ends the exchange), fail, or keep it open with background work. It can act
/// on no other id and never reaches the socket. A context is a small struct: copy it freely, keep it for later frames
/// (chat deliveries, command output); it stays usable until its exchange ends — by a final frame, by
/// <see cref="End"/>, or when the connection closes — after which its methods throw <see cref="InvalidOperationException"/>.
/// </summary>
public readonly struct RequestContext
{
    private readonly ExchangeState? _exchange;
    private readonly int _generation;
    private readonly FrameHeader _header;
    private readonly FrameBodyReader? _body;
    private readonly bool _continuation;

    internal RequestContext(ExchangeState exchange, FrameHeader header, FrameBodyReader body, bool continuation)
    {
        _exchange = exchange;
        _generation = exchange.Generation;
        _header = header;
        _body = body;
        _continuation = continuation;
    }

    /// <summary>The request's id: every frame this context sends carries it.</summary>
    public long Id => _header.Id;

    /// <summary>The message type of the frame being handled, e.g. <c>kv.get</c>.</summary>
    public string Type => _header.Type;

    /// <summary>The frame's body, streamed: read it before the handler returns (what is left is skipped).</summary>
    public FrameBodyReader Body => _body ?? throw Ended();

    /// <summary>
    /// Whether this frame continues an exchange that an earlier frame on the same id opened (a route mapped with
    /// <see cref="ServiceRoutes.MapContinuation"/> whose id had an open exchange).
    /// </summary>
    public bool IsContinuation => _continuation;

    /// <summary>Whether the exchange is still open: frames may still be sent on its id.</summary>
    public bool IsOpen => _exchange is { } exchange && exchange.Generation == _generation && !exchange.IsEnded;

    /// <summary>Who the peer authenticated as.</summary>
    public Principal Principal => Session.Principal!;

    /// <summary>The transport's id for this connection, for logs.</summary>
    public string ConnectionId => Session.ConnectionId;

    /// <summary>The peer's IP address (or <c>local</c> for a Unix socket).</summary>
    public string RemoteAddress => Session.RemoteAddress;

    /// <summary>The peer's end point, when the transport has one.</summary>
    public EndPoint? RemoteEndPoint => Session.RemoteEndPoint;

    /// <summary>Whether the connection runs inside TLS.</summary>
    public bool IsTls => Session.IsTls;

    /// <summary>Fires when the connection closes.</summary>
    public CancellationToken CancellationToken => Session.Connection.Closed;

    /// <summary>The server's clock (<see cref="FerryServerOptions.Time"/>): a service's waits and deadlines run on it.</summary>
    public TimeProvider Time => Session.Time;

    internal ServerSession Session => (_exchange ?? throw Ended()).Session;

    /// <summary>The connection, for built-in services that stream through code shared with the client.</summary>
    internal FrameConnection Connection => Session.Connection;

    /// <summary>Reads the frame's header fields into a message; fields of the wrong shape are a <c>bad_request</c>.</summary>
    /// <param name="typeInfo">The message's source-generated JSON metadata.</param>
    public T Read<T>(JsonTypeInfo<T> typeInfo) => _header.ReadPayload(typeInfo);

    /// <summary>This connection's state for <paramref name="key"/>, created on first use (see <see cref="ConnectionState{T}"/>).</summary>
    public T GetState<T>(ConnectionState<T> key) where T : class
    {
        ArgumentNullException.ThrowIfNull(key);
        return Session.GetState(key, this);
    }

    /// <summary>Sends a frame with no fields and no body on this id; the exchange stays open.</summary>
    public ValueTask SendAsync(string type, CancellationToken cancellationToken = default) =>
        Live().Session.Connection.SendAsync(type, Id, cancellationToken);

    /// <summary>Sends a frame with fields on this id; the exchange stays open.</summary>
    public ValueTask SendAsync<T>(string type, T payload, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        Live().Session.Connection.SendAsync(type, Id, payload, typeInfo, cancellationToken);

    /// <summary>Sends a frame with optional fields and a body on this id; the exchange stays open.</summary>
    public ValueTask SendAsync<T>(string type, T? payload, JsonTypeInfo<T>? typeInfo, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        Live().Session.Connection.SendAsync(type, Id, payload, typeInfo, body, cancellationToken);

    /// <summary>Sends a frame with a body and no fields on this id; the exchange stays open.</summary>
    public ValueTask SendAsync(string type, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        Live().Session.Connection.SendAsync<object>(type, Id, null, null, body, cancellationToken);

    /// <summary>Sends a frame with a body (as read, say, from a request's body) and no fields; the exchange stays open.</summary>
    public ValueTask SendAsync(string type, ReadOnlySequence<byte> body, CancellationToken cancellationToken = default) =>
        Live().Session.Connection.SendAsync<object>(type, Id, null, null, body, cancellationToken);

    /// <summary>
    /// Starts a frame of <paramref name="size"/> body bytes on this id, to be streamed through the returned writer
    /// (<see cref="FrameBodyWriter.WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, then
    /// <see cref="FrameBodyWriter.CompleteAsync"/>); the connection carries nothing else until it completes. The
    /// exchange stays open.
    /// </summary>
    public ValueTask<FrameBodyWriter> BeginFrameAsync<T>(string type, long size, T? payload, JsonTypeInfo<T>? typeInfo,
        CancellationToken cancellationToken = default) =>
        Live().Session.Connection.BeginFrameAsync(type, Id, size, payload, typeInfo, cancellationToken);

    /// <summary>Answers with a frame with no fields and no body, and ends the exchange.</summary>
    public ValueTask ReplyAsync(string type, CancellationToken cancellationToken = default) =>
        Final().Session.Connection.SendAsync(type, Id, cancellationToken);

    /// <summary>Answers with a frame with fields, and ends the exchange.</summary>
    public ValueTask ReplyAsync<T>(string type, T payload, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        Final().Session.Connection.SendAsync(type, Id, payload, typeInfo, cancellationToken);

    /// <summary>Answers with a frame with optional fields and a body, and ends the exchange.</summary>
    public ValueTask ReplyAsync<T>(string type, T? payload, JsonTypeInfo<T>? typeInfo, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        Final().Session.Connection.SendAsync(type, Id, payload, typeInfo, body, cancellationToken);

    /// <summary>Answers with a frame with a body and no fields (one write), and ends the exchange.</summary>
    public ValueTask ReplyAsync(string type, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default) =>
        Final().Session.Connection.SendAsync<object>(type, Id, null, null, body, cancellationToken);

    /// <summary>Answers with a frame with a body (as read, say, from the request's body) and no fields, and ends the exchange.</summary>
    public ValueTask ReplyAsync(string type, ReadOnlySequence<byte> body, CancellationToken cancellationToken = default) =>
        Final().Session.Connection.SendAsync<object>(type, Id, null, null, body, cancellationToken);

    /// <summary>
    /// Answers with a frame whose <paramref name="size"/> body bytes are streamed through the returned writer, and
    /// ends the exchange (the id is free once the frame completes on the wire).
    /// </summary>
    public ValueTask<FrameBodyWriter> BeginReplyAsync<T>(string type, long size, T? payload, JsonTypeInfo<T>? typeInfo,
        CancellationToken cancellationToken = default) =>
        Final().Session.Connection.BeginFrameAsync(type, Id, size, payload, typeInfo, cancellationToken);

    /// <summary>
    /// Fails the request: an <c>error</c> frame with <paramref name="error"/>'s code and a one-line
    /// <paramref name="message"/> for people (say what to do about it), ending the exchange. Throwing a
    /// <see cref="FerryException"/> from a handler does the same.
    /// </summary>
    public ValueTask FailAsync(ProtocolError error, string message, CancellationToken cancellationToken = default) =>
        Final().Session.Connection.SendErrorAsync(Id, error, message, cancellationToken);

    /// <summary>
    /// Runs long work for this request without holding up the connection's other requests; the exchange stays open
    /// until the work ends (reply from it to end it sooner). The token fires when the client sends <c>cancel</c> for
    /// this id or the connection closes. A <see cref="FerryException"/> from the work fails the request with its code,
    /// cancellation by the client is answered <c>cancelled</c>; graceful shutdown waits for the work to finish.
    /// </summary>
    public void StartBackground(Func<CancellationToken, Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Live().Session.StartBackground(Live(), work);
    }

    /// <summary>
    /// Ends the exchange without a frame, for exchanges whose protocol ends them silently (a chat membership ends
    /// when the member leaves the room): the id is free for a new request. Does nothing if it already ended.
    /// </summary>
    public void End()
    {
        if (_exchange is { } exchange && exchange.Generation == _generation) exchange.TryEnd();
    }

    private ExchangeState Live()
    {
        if (_exchange is { } exchange && exchange.Generation == _generation && !exchange.IsEnded) return exchange;
        throw Ended();
    }

    // The id is freed before the final frame goes out: protocol.md §3.3 lets a client reuse it the moment that frame arrives.
    private ExchangeState Final()
    {
        var exchange = Live();
        if (!exchange.TryEnd()) throw Ended();
        return exchange;
    }

    private InvalidOperationException Ended() =>
        new($"the exchange on request id {_header.Id} has ended; a RequestContext can send only until its final frame");
}

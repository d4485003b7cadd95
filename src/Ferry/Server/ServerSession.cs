using System.Net;
using System.Net.Sockets;
using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Security;
using Microsoft.Extensions.Logging;

namespace Ferry.Server;

/// <summary>
/// The server side of one connection: hello, then (when configured) authentication, then dispatch of each
/// request to its service. One bad request is answered with an error frame; only broken framing closes.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2213", Justification = "_drain has no timer, so it holds nothing the GC does not reclaim; background work that outlived the drain timeout may still read its token, which a disposed source would turn into ObjectDisposedException.")]
public sealed class ServerSession : IFrameHandler, IAsyncDisposable
{
    // The compressions of file data this build reads (docs/protocol.md §5.4.5), listed in every hello: Transfers'
    // FileCompression.Encodings, spelled here because the server layer does not reach into Transfers (a test holds them equal).
    private static readonly string[] s_compress = ["zstd"];

    private readonly SessionEnvironment _env;
    private readonly ILogger _logger;
    // The exchanges open on this connection, by request id (guarded by itself; _background shares the lock).
    private readonly Dictionary<long, ExchangeState> _open = [];
    // Background work still running, whether or not its exchange has ended: what drain and dispose wait for.
    private readonly HashSet<CancellationTokenSource> _background = [];
    // Per-connection state by its key (a ConnectionState<T>, or a type for the authenticator's own).
    private readonly Dictionary<object, object> _states = [];
    private ExchangeState? _spare; // an exchange that ended inside its handler, reused by the next frame (read loop only)
    private readonly CancellationTokenSource _handshakeDeadline;
    private readonly IDisposable? _preAuthSlot;
    private IDisposable? _admission; // this connection's place under the authenticated-connection caps
    private TaskCompletionSource? _idle;
    private SessionState _state = SessionState.AwaitingHello;
    private bool _draining;
    // Cancelled when graceful shutdown begins (never disposed: see the class's CA2213 note).
    private readonly CancellationTokenSource _drain = new();

    internal ServerSession(FrameConnection connection, string connectionId, EndPoint? remoteEndPoint, bool isTls, SessionEnvironment env,
        IDisposable? preAuthSlot = null)
    {
        _preAuthSlot = preAuthSlot;
        RemoteAddress = Authentication.ServerSecurity.AddressKey(remoteEndPoint);
        Connection = connection;
        ConnectionId = connectionId;
        RemoteEndPoint = remoteEndPoint;
        IsTls = isTls;
        _env = env;
        _logger = env.Logger;
        connection.MaxHeaderBytes = env.Options.PreAuthMaxHeaderBytes;
        connection.AllowBodies = false;
        LogScope = new ConnectionLogScope(connectionId, RemoteAddress);
        _handshakeDeadline = new CancellationTokenSource(env.Options.HandshakeTimeout, env.Options.Time);
        _handshakeDeadline.Token.Register(static state => _ = ((ServerSession)state!).OnHandshakeDeadlineAsync(), this);
    }

    /// <summary>The framed connection (for an authenticator: its frames, limits and close).</summary>
    public FrameConnection Connection { get; }

    /// <summary>The logging scope of this connection (id, remote, principal once known).</summary>
    internal ConnectionLogScope LogScope { get; }

    /// <summary>The transport's connection id, for logs.</summary>
    public string ConnectionId { get; }

    /// <summary>The peer's end point, when the transport has one.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The peer's IP address (or <c>local</c> for a Unix socket): what limits and logs key on.</summary>
    public string RemoteAddress { get; }

    /// <summary>
    /// Cancelled when the server begins a graceful shutdown. Open-ended work (a forwarded stream, a remote listener)
    /// ends on it at once, telling its client why, instead of holding the connection for the whole grace period.
    /// </summary>
    internal CancellationToken Draining => _drain.Token;

    /// <summary>The server's log, for the authenticator.</summary>
    internal ILogger Logger => _logger;

    /// <summary>
    /// A service's own log category (<c>Ferry.Forward</c>), so it can be filtered apart from the server's; the
    /// connection's scope applies to it as to the server's log. The factory caches one logger per category.
    /// </summary>
    internal ILogger LoggerFor(string category) => _env.Loggers?.CreateLogger(category) ?? _logger;

    /// <summary>The server's running totals, for services that keep a counter (processes running, transfers).</summary>
    internal ServerStats Stats => _env.Stats;

    /// <summary>The server's clock.</summary>
    internal TimeProvider Time => _env.Options.Time;

    /// <summary>Whether the connection runs inside TLS.</summary>
    public bool IsTls { get; }

    /// <summary>Who the peer authenticated as; null until the handshake completes.</summary>
    public Principal? Principal { get; private set; }

    /// <summary>Whether the handshake finished and requests are being served.</summary>
    public bool IsReady => _state == SessionState.Ready;

    /// <summary>Runs the connection until it closes. A framing violation is logged and ends it.</summary>
    public async Task<CloseReason> RunAsync(CancellationToken shutdownRequested)
    {
        ServerLog.ConnectionOpened(_logger, ConnectionId, RemoteEndPoint?.ToString());
        using var onShutdown = shutdownRequested.Register(static s => ((ServerSession)s!).BeginDrain(), this);
        CloseReason reason;
        try
        {
            reason = await Connection.RunAsync(this, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ProtocolException ex)
        {
            ServerLog.ProtocolViolation(_logger, ConnectionId, RemoteEndPoint?.ToString(), ex.Message);
            reason = CloseReason.ProtocolError;
        }
        ServerLog.ConnectionClosed(_logger, ConnectionId, Connection.CloseReason, Connection.CloseMessage);
        return reason;
    }

    /// <summary>This connection's state for <paramref name="key"/>, created from <paramref name="context"/> on first use.</summary>
    internal T GetState<T>(ConnectionState<T> key, RequestContext context) where T : class
    {
        lock (_states)
        {
            if (_states.TryGetValue(key, out var existing)) return (T)existing;
            var created = key.Create(context);
            _states[key] = created;
            return created;
        }
    }

    /// <summary>The authenticator's per-connection state, by its type.</summary>
    internal T GetFeature<T>(Func<ServerSession, T> create) where T : class
    {
        lock (_states)
        {
            if (_states.TryGetValue(typeof(T), out var existing)) return (T)existing;
            var created = create(this);
            _states[typeof(T)] = created;
            return created;
        }
    }

    /// <summary>Whether an exchange is still open on request <paramref name="id"/>.</summary>
    internal bool IsActive(long id)
    {
        lock (_open) return _open.ContainsKey(id);
    }

    // A fresh exchange for a frame: the spare one when the last frame's exchange ended inside its handler.
    private ExchangeState Rent(long id)
    {
        var exchange = _spare ?? new ExchangeState(this);
        _spare = null;
        exchange.Reset(id);
        return exchange;
    }

    private void Register(ExchangeState exchange)
    {
        lock (_open)
        {
            if (!_open.TryAdd(exchange.Id, exchange))
            {
                throw new FerryException(ProtocolError.DuplicateId, $"request id {exchange.Id} is already in flight");
            }
            exchange.Registered = true;
        }
    }

    /// <summary>Frees the id of an exchange that ended (only if the table still holds that exchange).</summary>
    internal void Release(ExchangeState exchange)
    {
        lock (_open)
        {
            if (_open.TryGetValue(exchange.Id, out var current) && ReferenceEquals(current, exchange)) _open.Remove(exchange.Id);
        }
    }

    /// <summary>
    /// Runs long work for <paramref name="exchange"/> without holding up the read loop (see
    /// <see cref="RequestContext.StartBackground"/>).
    /// </summary>
    internal void StartBackground(ExchangeState exchange, Func<CancellationToken, Task> work)
    {
        if (exchange.Background is not null) throw new InvalidOperationException($"request id {exchange.Id} already runs background work");
        if (!exchange.Registered) Register(exchange);
        var cts = CancellationTokenSource.CreateLinkedTokenSource(Connection.Closed);
        lock (_open)
        {
            exchange.Background = cts;
            _background.Add(cts);
        }
        _ = RunBackgroundAsync(exchange, cts, work);
    }

    private bool NoBackgroundWorkLocked => _background.Count == 0;

    async ValueTask IFrameHandler.OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
    {
        if (header.Id == 0)
        {
            // protocol.md §3.3: id 0 belongs to the connection (the final error), never to a request, so a client
            // frame without an id cannot be answered on its own id: it is refused the way framing errors are.
            await Connection.FailAsync(CloseReason.ProtocolError, ProtocolError.BadId,
                $"'{header.Type}' has no 'id': every frame a client sends needs an id of 1 or more").ConfigureAwait(false);
            return;
        }
        if (_state != SessionState.Ready)
        {
            await OnHandshakeFrameAsync(header, body, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (ReferenceEquals(header.Type, MessageTypes.Cancel))
        {
            CancelBackground(header.Id);
            return;
        }
        bool routed = _env.Services.TryGet(header.Type, out var route);
        bool continues = routed && route.Continues;
        if (!continues && IsActive(header.Id))
        {
            // Checked here, once, for every type: an answer on a running id would land inside that exchange.
            ServerLog.RequestRefused(_logger, header.Type, header.Id, ProtocolError.DuplicateId, "request id still in use");
            await Connection.SendErrorAsync(header.Id, ProtocolError.DuplicateId,
                $"request id {header.Id} is still in use by a running request; '{header.Type}' needs an id of its own", cancellationToken).ConfigureAwait(false);
            return;
        }
        if (ReferenceEquals(header.Type, MessageTypes.Hello))
        {
            await Connection.SendErrorAsync(header.Id, ProtocolError.BadRequest, "'hello' was already exchanged on this connection; it comes once, first",
                cancellationToken).ConfigureAwait(false);
            return;
        }
        if (ReferenceEquals(header.Type, MessageTypes.Ping))
        {
            await Connection.SendAsync(MessageTypes.Pong, header.Id, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!routed)
        {
            ServerLog.RequestRefused(_logger, header.Type, header.Id, ProtocolError.UnknownType, "unknown message type");
            await Connection.SendErrorAsync(header.Id, ProtocolError.UnknownType, $"unknown message type '{header.Type}'", cancellationToken).ConfigureAwait(false);
            return;
        }
        route.Requests.Increment();
        if (!Principal!.Has(route.Right))
        {
            ServerLog.RequestForbidden(_logger, header.Type, header.Id, Principal.Name, route.Right);
            await Connection.SendErrorAsync(header.Id, ProtocolError.Forbidden, $"forbidden: '{header.Type}' needs the '{route.Right}' right, which {Principal.Name} does not have", cancellationToken).ConfigureAwait(false);
            return;
        }
        if (_draining && !(continues && IsActive(header.Id)))
        {
            await Connection.SendErrorAsync(header.Id, ProtocolError.ShuttingDown, "the server is shutting down", cancellationToken).ConfigureAwait(false);
            return;
        }
        ExchangeState exchange;
        bool continuation = false;
        ExchangeState? open = null;
        if (continues)
        {
            lock (_open) _open.TryGetValue(header.Id, out open);
        }
        if (open is not null && ReferenceEquals(open.Owner, route.Owner))
        {
            exchange = open;
            continuation = true;
        }
        else
        {
            exchange = Rent(header.Id);
            exchange.Owner = route.Owner;
            // A continuation frame whose exchange is gone gets a context of its own, which holds no id.
            if (!continues) Register(exchange);
        }
        if (!continuation) ServerLog.RequestStarted(_logger, header.Type, header.Id);
        try
        {
            await route.Handler(new RequestContext(exchange, header, body, continuation)).ConfigureAwait(false);
        }
        catch (FerryException ex) when (ex is not ProtocolException)
        {
            ServerLog.RequestRefused(_logger, header.Type, header.Id, ex.Error, ex.Message);
            exchange.TryEnd();
            await Connection.SendErrorAsync(header.Id, ex.Error, ex.Message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ProtocolException and not OperationCanceledException && !IsConnectionGone(ex))
        {
            ServerLog.RequestFault(_logger, ex, header.Type, header.Id, ConnectionId);
            exchange.TryEnd();
            await Connection.SendErrorAsync(header.Id, ProtocolError.Internal, $"internal error: {ex.Message}", cancellationToken).ConfigureAwait(false);
        }
        if (!continuation)
        {
            if (!exchange.Registered) exchange.TryEnd();
            // Ended inside its handler with no work left: nobody may use it any more (its copies see a new generation).
            if (exchange.IsEnded && exchange.Background is null) _spare = exchange;
        }
    }

    /// <summary>
    /// Whether a handler's exception means this connection went away, rather than the handler failing. Writes turn a
    /// broken transport into <see cref="ConnectionClosedException"/> and mark the connection closed; any other
    /// IOException while the connection is still open is the service's own (a disk error, a file it could not read)
    /// and gets an <c>internal</c> error frame, the connection serving on, not a silent drop — unless it carries the
    /// socket's own failure (a reset met while reading a request's body, before the read loop saw it).
    /// </summary>
    private bool IsConnectionGone(Exception ex) =>
        ex is ConnectionClosedException or SocketException or ObjectDisposedException
            or Microsoft.AspNetCore.Connections.ConnectionAbortedException or Microsoft.AspNetCore.Connections.ConnectionResetException
        || (ex is IOException && ex.InnerException is SocketException or Microsoft.AspNetCore.Connections.ConnectionResetException
            or Microsoft.AspNetCore.Connections.ConnectionAbortedException or ObjectDisposedException)
        || (Connection.IsClosingFailure(ex) && Connection.CloseReason != CloseReason.None);

    private async ValueTask OnHandshakeFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
    {
        if (_state == SessionState.AwaitingHello)
        {
            if (!ReferenceEquals(header.Type, MessageTypes.Hello))
            {
                await Connection.FailAsync(CloseReason.ProtocolError, ProtocolError.Unauthenticated,
                    $"unauthenticated: the connection must start with 'hello', not '{header.Type}'").ConfigureAwait(false);
                return;
            }
            HelloRequest hello;
            try
            {
                hello = header.ReadPayload(ProtocolJsonContext.Default.HelloRequest);
            }
            catch (FerryException ex)
            {
                await Connection.FailAsync(CloseReason.ProtocolError, ex.Error, ex.Message).ConfigureAwait(false);
                return;
            }
            if (hello.Version != Hello.ProtocolVersion)
            {
                await Connection.FailAsync(CloseReason.ProtocolError, ProtocolError.UnsupportedVersion, hello.Version is null
                    ? $"'hello' must say which protocol 'version' it speaks; this server speaks version {Hello.ProtocolVersion}"
                    : $"protocol version {hello.Version} is not supported; this server speaks version {Hello.ProtocolVersion}").ConfigureAwait(false);
                return;
            }
            var authenticator = _env.Authenticator;
            await Connection.SendAsync(MessageTypes.Hello, header.Id, new HelloResponse
            {
                Server = _env.ServerName,
                Auth = authenticator?.Methods ?? [],
                Tls = IsTls,
                MaxHeaderBytes = _env.Options.MaxHeaderBytes,
                Compress = s_compress,
            }, ProtocolJsonContext.Default.HelloResponse, cancellationToken).ConfigureAwait(false);
            if (authenticator is null)
            {
                if (TryAdmit(Principal.Anonymous) is { } refusal)
                {
                    await Connection.FailAsync(CloseReason.Rejected, ProtocolError.Busy, refusal).ConfigureAwait(false);
                    return;
                }
                BecomeReady(Principal.Anonymous);
            }
            else
            {
                _state = SessionState.Authenticating;
            }
            return;
        }

        var principal = await _env.Authenticator!.OnFrameAsync(this, header, body, cancellationToken).ConfigureAwait(false);
        if (principal is null) return;
        // The built-in authenticator admits before it answers auth.ok; another one is admitted here.
        if (TryAdmit(principal) is { } refused)
        {
            await Connection.FailAsync(CloseReason.Rejected, ProtocolError.Busy, refused).ConfigureAwait(false);
            return;
        }
        BecomeReady(principal);
    }

    /// <summary>
    /// Takes this connection's place under the caps on authenticated connections (in all and per user), once.
    /// Returns null when admitted, else the <c>busy</c> message naming the cap that is full.
    /// </summary>
    internal string? TryAdmit(Principal principal)
    {
        if (_admission is not null) return null;
        _admission = _env.Caps.TryEnter(principal.Name, out var refusal);
        return refusal;
    }

    // protocol.md §3.1: one budget from accept to authenticated. The peer is told why before the close, like any
    // other final refusal; a peer that does not read gets the close after the final error's short deadline.
    private async Task OnHandshakeDeadlineAsync()
    {
        if (_state == SessionState.Ready) return;
        string message = $"the handshake did not finish within {_env.Options.HandshakeTimeout.TotalSeconds:0.###} s";
        await Connection.FailAsync(CloseReason.Timeout, ProtocolError.Timeout, message).ConfigureAwait(false);
        Connection.CancelPendingRead(); // ends the read loop; disposal then closes after the error frame has gone out
    }

    private void BecomeReady(Principal principal)
    {
        Principal = principal;
        LogScope.Principal = principal.Name;
        Connection.MaxHeaderBytes = _env.Options.MaxHeaderBytes;
        Connection.AllowBodies = true;
        _state = SessionState.Ready;
        _handshakeDeadline.Dispose();
        _preAuthSlot?.Dispose(); // authenticated: no longer counts against the unauthenticated caps
    }

    private async Task RunBackgroundAsync(ExchangeState exchange, CancellationTokenSource cts, Func<CancellationToken, Task> work)
    {
        try
        {
            // Off the read loop's thread before the work's first synchronous part (starting a process, opening a
            // file): with inline socket completions that thread is an event loop serving other connections too.
            await Task.Yield();
            await work(cts.Token).ConfigureAwait(false);
        }
        catch (FerryException ex) when (ex is not ProtocolException)
        {
            await TryFailAsync(exchange, ex.Error, ex.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested && !Connection.Closed.IsCancellationRequested)
        {
            await TryFailAsync(exchange, ProtocolError.Cancelled, "cancelled by the client").ConfigureAwait(false);
        }
        catch (Exception ex) when (Connection.IsClosingFailure(ex) || ex is OperationCanceledException)
        {
            // The connection went away under the work; nothing to answer.
        }
        catch (Exception ex)
        {
            ServerLog.RequestFault(_logger, ex, "background", exchange.Id, ConnectionId);
            await TryFailAsync(exchange, ProtocolError.Internal, $"internal error: {ex.Message}").ConfigureAwait(false);
        }
        finally
        {
            // Work that returned without a final frame ends its exchange silently: the id is free again.
            exchange.TryEnd();
            TaskCompletionSource? idle = null;
            lock (_open)
            {
                _background.Remove(cts);
                if (NoBackgroundWorkLocked) idle = _idle;
            }
            cts.Dispose();
            idle?.TrySetResult();
        }
    }

    // The error ends the exchange; if the work already sent its final frame there is nothing left to say on the id.
    private async ValueTask TryFailAsync(ExchangeState exchange, ProtocolError error, string message)
    {
        if (!exchange.TryEnd()) return;
        try
        {
            await Connection.SendErrorAsync(exchange.Id, error, message).ConfigureAwait(false);
        }
        catch (ConnectionClosedException)
        {
            // Nobody left to tell.
        }
    }

    private void CancelBackground(long id)
    {
        lock (_open)
        {
            if (_open.TryGetValue(id, out var exchange)) exchange.Background?.Cancel();
        }
    }

    // Graceful shutdown: refuse new requests, let running ones finish, then end the read loop.
    // Kestrel aborts whatever is still open when the host's shutdown timeout runs out.
    private void BeginDrain()
    {
        _draining = true;
        _drain.Cancel();
        Task idle;
        lock (_open)
        {
            _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (NoBackgroundWorkLocked) _idle.TrySetResult();
            idle = _idle.Task;
        }
        _ = EndWhenIdleAsync(idle);
    }

    // protocol.md §3.6: every connection, idle or done with its work, is told before the server closes it.
    private async Task EndWhenIdleAsync(Task idle)
    {
        await idle.ConfigureAwait(false);
        await Connection.FailAsync(CloseReason.ServerShutdown, ProtocolError.ShuttingDown, "the server is shutting down").ConfigureAwait(false);
        Connection.CancelPendingRead();
    }

    /// <summary>Ends the session: cancels its background work, waits for it (up to the drain timeout), disposes its state.</summary>
    public async ValueTask DisposeAsync()
    {
        Task idle;
        lock (_open)
        {
            foreach (var cts in _background) cts.Cancel();
            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (NoBackgroundWorkLocked) _idle.TrySetResult();
            idle = _idle.Task;
        }
        // Background work observes the cancelled token; give it a moment to report and clean up (kill processes).
        await idle.WaitAsync(_env.Options.RequestDrainTimeout, _env.Options.Time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        object[] states;
        lock (_states) states = [.. _states.Values];
        foreach (var state in states)
        {
            if (state is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            else if (state is IDisposable disposable) disposable.Dispose();
        }
        _handshakeDeadline.Dispose();
        _preAuthSlot?.Dispose();
        _admission?.Dispose();
        await Connection.DisposeAsync().ConfigureAwait(false);
    }

    private enum SessionState
    {
        AwaitingHello,
        Authenticating,
        Ready,
    }
}

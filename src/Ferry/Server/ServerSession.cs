using System.Net;
using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Security;
using Microsoft.Extensions.Logging;

namespace Ferry.Server;

/// <summary>
/// The server side of one connection: hello, then (when configured) authentication, then dispatch of each
/// request to its service. One bad request is answered with an error frame; only broken framing closes.
/// </summary>
public sealed class ServerSession : IFrameHandler, IAsyncDisposable
{
    private readonly SessionEnvironment _env;
    private readonly ILogger _logger;
    private readonly Dictionary<long, CancellationTokenSource> _background = [];
    private readonly Dictionary<Type, object> _features = [];
    private IExchangeTable[] _exchangeTables = []; // the features that keep ids open; copy-on-write, read per frame
    private readonly CancellationTokenSource _handshakeDeadline;
    private readonly IDisposable? _preAuthSlot;
    private IDisposable? _admission; // this connection's place under the authenticated-connection caps
    private TaskCompletionSource? _idle;
    private SessionState _state = SessionState.AwaitingHello;
    private bool _draining;

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
        _handshakeDeadline = new CancellationTokenSource(env.Options.HandshakeTimeout);
        _handshakeDeadline.Token.Register(static state => _ = ((ServerSession)state!).OnHandshakeDeadlineAsync(), this);
    }

    public FrameConnection Connection { get; }

    /// <summary>The transport's connection id, for logs.</summary>
    public string ConnectionId { get; }

    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The peer's IP address (or <c>local</c> for a Unix socket): what limits and logs key on.</summary>
    public string RemoteAddress { get; }

    /// <summary>The server's log, for the authenticator.</summary>
    internal ILogger Logger => _logger;

    /// <summary>The server's running totals, for services that keep a counter (processes running, transfers).</summary>
    internal ServerStats Stats => _env.Stats;

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

    /// <summary>
    /// Returns this connection's instance of a per-connection feature (e.g. the exec service's process table),
    /// creating it on first use. Features that are <see cref="IAsyncDisposable"/> are disposed when the connection ends.
    /// </summary>
    public T GetFeature<T>(Func<ServerSession, T> create) where T : class
    {
        lock (_features)
        {
            if (_features.TryGetValue(typeof(T), out var existing)) return (T)existing;
            var created = create(this);
            _features[typeof(T)] = created;
            if (created is IExchangeTable table) _exchangeTables = [.. _exchangeTables, table];
            return created;
        }
    }

    /// <summary>
    /// Whether an exchange is still open on request <paramref name="id"/>: work running in the background, or an
    /// exchange a per-connection <see cref="IExchangeTable"/> keeps (an upload, a chat membership).
    /// </summary>
    public bool IsActive(long id)
    {
        lock (_background)
        {
            if (_background.ContainsKey(id)) return true;
        }
        foreach (var table in Volatile.Read(ref _exchangeTables))
        {
            if (table.Contains(id)) return true;
        }
        return false;
    }

    /// <summary>
    /// Runs long work for request <paramref name="id"/> without holding up the read loop. The token fires when
    /// the client sends <c>cancel</c> for the id or the connection closes. A <see cref="FerryException"/> from
    /// the work becomes an error frame; graceful shutdown waits for this work to finish.
    /// </summary>
    public void StartBackground(long id, Func<CancellationToken, Task> work)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(Connection.Closed);
        lock (_background)
        {
            if (!_background.TryAdd(id, cts))
            {
                cts.Dispose();
                throw new FerryException(ProtocolError.DuplicateId, $"request id {id} is already in flight");
            }
        }
        _ = RunBackgroundAsync(id, cts, work);
    }

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
        bool continues = MessageTypes.ContinuesExchange(header.Type);
        if (!continues && IsActive(header.Id))
        {
            // Checked here, once, for every type: an answer on a running id would land inside that exchange.
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
        if (!_env.Services.TryGet(header.Type, out var route))
        {
            await Connection.SendErrorAsync(header.Id, ProtocolError.UnknownType, $"unknown message type '{header.Type}'", cancellationToken).ConfigureAwait(false);
            return;
        }
        route.Requests.Increment();
        if (!Principal!.Has(route.Right))
        {
            await Connection.SendErrorAsync(header.Id, ProtocolError.Forbidden, $"forbidden: '{header.Type}' needs the '{route.Right}' right, which {Principal.Name} does not have", cancellationToken).ConfigureAwait(false);
            return;
        }
        if (_draining && !(continues && IsActive(header.Id)))
        {
            await Connection.SendErrorAsync(header.Id, ProtocolError.ShuttingDown, "the server is shutting down", cancellationToken).ConfigureAwait(false);
            return;
        }
        try
        {
            await route.Service.HandleAsync(new ServerRequest(this, header, body, Connection.Closed)).ConfigureAwait(false);
        }
        catch (FerryException ex) when (ex is not ProtocolException)
        {
            await Connection.SendErrorAsync(header.Id, ex.Error, ex.Message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!FrameConnection.IsTransportFailure(ex) && ex is not ProtocolException and not OperationCanceledException)
        {
            ServerLog.RequestFault(_logger, ex, header.Type, header.Id, ConnectionId);
            await Connection.SendErrorAsync(header.Id, ProtocolError.Internal, $"internal error: {ex.Message}", cancellationToken).ConfigureAwait(false);
        }
    }

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
        Connection.MaxHeaderBytes = _env.Options.MaxHeaderBytes;
        Connection.AllowBodies = true;
        _state = SessionState.Ready;
        _handshakeDeadline.Dispose();
        _preAuthSlot?.Dispose(); // authenticated: no longer counts against the unauthenticated caps
    }

    private async Task RunBackgroundAsync(long id, CancellationTokenSource cts, Func<CancellationToken, Task> work)
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
            await TrySendErrorAsync(id, ex.Error, ex.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested && !Connection.Closed.IsCancellationRequested)
        {
            await TrySendErrorAsync(id, ProtocolError.Cancelled, "cancelled by the client").ConfigureAwait(false);
        }
        catch (Exception ex) when (Connection.IsClosingFailure(ex) || ex is OperationCanceledException)
        {
            // The connection went away under the work; nothing to answer.
        }
        catch (Exception ex)
        {
            ServerLog.RequestFault(_logger, ex, "background", id, ConnectionId);
            await TrySendErrorAsync(id, ProtocolError.Internal, $"internal error: {ex.Message}").ConfigureAwait(false);
        }
        finally
        {
            TaskCompletionSource? idle = null;
            lock (_background)
            {
                _background.Remove(id);
                if (_background.Count == 0) idle = _idle;
            }
            cts.Dispose();
            idle?.TrySetResult();
        }
    }

    private async ValueTask TrySendErrorAsync(long id, ProtocolError error, string message)
    {
        try
        {
            await Connection.SendErrorAsync(id, error, message).ConfigureAwait(false);
        }
        catch (ConnectionClosedException)
        {
            // Nobody left to tell.
        }
    }

    private void CancelBackground(long id)
    {
        lock (_background)
        {
            if (_background.TryGetValue(id, out var cts)) cts.Cancel();
        }
    }

    // Graceful shutdown: refuse new requests, let running ones finish, then end the read loop.
    // Kestrel aborts whatever is still open when the host's shutdown timeout runs out.
    private void BeginDrain()
    {
        _draining = true;
        Task idle;
        lock (_background)
        {
            _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_background.Count == 0) _idle.TrySetResult();
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

    public async ValueTask DisposeAsync()
    {
        Task idle;
        lock (_background)
        {
            foreach (var cts in _background.Values) cts.Cancel();
            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_background.Count == 0) _idle.TrySetResult();
            idle = _idle.Task;
        }
        // Background work observes the cancelled token; give it a moment to report and clean up (kill processes).
        await idle.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        object[] features;
        lock (_features) features = [.. _features.Values];
        foreach (var feature in features)
        {
            if (feature is IAsyncDisposable disposable) await disposable.DisposeAsync().ConfigureAwait(false);
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

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ferry.Contracts.Forward;
using Ferry.Protocol;
using Ferry.Security;
using Ferry.Server;
using Ferry.Transfers;

namespace Ferry.Services.Forward;

/// <summary>
/// TCP port forwarding (docs/protocol.md §5.9): <c>forward.open</c> connects to a destination the server may reach
/// and carries that TCP stream on the request's id, <c>forward.listen</c> listens on the server and offers each
/// connection to the client, which takes it with <c>forward.accept</c>. Every stream has its own credit window, so
/// none can hold up another or anything else on the connection. Off unless enabled; needs the <c>forward</c> right;
/// capped per connection, per user and per server.
/// </summary>
public sealed class ForwardService : IFerryService
{
    private static readonly ConnectionState<ForwardTable> s_tables = new(static _ => new ForwardTable());
    private readonly ForwardOptions _options;
    private readonly Dictionary<string, int> _perUser = new(StringComparer.Ordinal);
    private int _streams;

    /// <param name="options">What is allowed.</param>
    public ForwardService(ForwardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!ForwardLimits.IsValidWindow(options.WindowBytes))
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"WindowBytes must be {ForwardLimits.MinWindowBytes} to {ForwardLimits.MaxWindowBytes}");
        }
        _options = options;
    }

    /// <summary>Streams open on the whole server right now.</summary>
    public int Streams => Volatile.Read(ref _streams);

    /// <summary>The forwarding requests and what continues them, all needing the <c>forward</c> right.</summary>
    public void MapRoutes(ServiceRoutes routes) => routes
        .Map(MessageTypes.ForwardOpen, OpenAsync, Rights.Forward)
        .Map(MessageTypes.ForwardAccept, AcceptAsync, Rights.Forward)
        .Map(MessageTypes.ForwardListen, ListenAsync, Rights.Forward)
        .MapContinuation(MessageTypes.ForwardData, OnDataAsync, Rights.Forward)
        .MapContinuation(MessageTypes.ForwardCredit, OnCreditAsync, Rights.Forward)
        .MapContinuation(MessageTypes.ForwardDecline, OnDeclineAsync, Rights.Forward);

    private void RequireEnabled()
    {
        if (!_options.Enabled)
        {
            throw new FerryException(ProtocolError.Disabled, "port forwarding is disabled on this server; start it with --allow-forward");
        }
    }

    private ValueTask OpenAsync(RequestContext request)
    {
        RequireEnabled();
        var open = request.Read(ForwardJsonContext.Default.ForwardOpenRequest);
        var host = CheckHost(open.Host);
        int port = open.Port is >= 1 and <= 65535 ? open.Port
            : throw new FerryException(ProtocolError.BadRequest, $"'port' must be 1 to 65535 (got {open.Port})");
        int window = CheckWindow(open.Window);
        var destination = Display(host, port);
        var time = request.Time;
        StartStream(request, destination, window, ct => ConnectAsync(host, port, destination, time, ct));
        return ValueTask.CompletedTask;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The accepted socket goes to the stream's background work, which disposes it (its finally); if the stream cannot start, the catch disposes it.")]
    private ValueTask AcceptAsync(RequestContext request)
    {
        RequireEnabled();
        var accept = request.Read(ForwardJsonContext.Default.ForwardAcceptRequest);
        int window = CheckWindow(accept.Window);
        var table = request.GetState(s_tables);
        var listener = table.FindListener(accept.Listen)
            ?? throw new FerryException(ProtocolError.NotFound, $"no forward listener is open on request id {accept.Listen}");
        var socket = listener.Take(accept.Conn)
            ?? throw new FerryException(ProtocolError.NotFound,
                $"connection {accept.Conn} of the listener on {listener.Address} is not waiting (taken, declined, or closed after {_options.AcceptTimeout.TotalSeconds:0.#} s)");
        var from = socket.RemoteEndPoint?.ToString() ?? "?";
        try
        {
            StartStream(request, $"{from} (to {listener.Address})", window, _ => Task.FromResult((socket, from)));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return ValueTask.CompletedTask;
    }

    // Claims the caps, then runs the stream in the background: connect (or take the accepted socket), forward.ready,
    // carry bytes until both sides ended, forward.close. Refusals before the background starts are error frames.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The channel belongs to the background work, which disposes it in its finally; when the work does not start, the finally here disposes it.")]
    private void StartStream(RequestContext request, string destination, int window, Func<CancellationToken, Task<(Socket Socket, string Address)>> connect)
    {
        var table = request.GetState(s_tables);
        var user = request.Principal.Name;
        ReserveStream(user, table);
        var channel = new TunnelChannel(_options.WindowBytes, new ContextFrames(request));
        var stream = new ForwardStream(channel, destination);
        bool started = false;
        try
        {
            if (!table.TryAdd(request.Id, stream, _options.MaxStreamsPerConnection))
            {
                throw new FerryException(ProtocolError.Busy,
                    $"busy: this connection already has {_options.MaxStreamsPerConnection} forwarded streams open; close one first");
            }
            var session = request.Session;
            var shownUser = LogText.Escape(user);
            var shown = LogText.Escape(destination);
            request.StartBackground(work => UntilShutdownAsync(session, async ct =>
            {
                Socket? socket = null;
                string reason = "closed";
                try
                {
                    (socket, var address) = await connect(ct).ConfigureAwait(false);
                    ForwardLog.Opened(session.LoggerFor(ForwardLog.Category), shownUser, session.RemoteAddress, request.Id, shown, LogText.Escape(address));
                    channel.AddCredit(window);
                    await request.SendAsync(MessageTypes.ForwardReady, new ForwardReadyMessage { Window = channel.ReceiveWindow, Address = address },
                        ForwardJsonContext.Default.ForwardReadyMessage, ct).ConfigureAwait(false);
                    try
                    {
                        await channel.RunAsync(socket, ct).ConfigureAwait(false);
                    }
                    catch (SocketException ex)
                    {
                        // The destination (or the accepted peer) broke the stream: tell the client, and let it pass the reset on.
                        reason = "reset: " + ex.SocketErrorCode;
                        socket.LingerState = new LingerOption(true, 0);
                        throw new FerryException(ProtocolError.IoError, $"{destination} {Describe(ex)}");
                    }
                    table.Remove(request.Id, stream);
                    await request.ReplyAsync(MessageTypes.ForwardClose, ct).ConfigureAwait(false);
                }
                catch (FerryException ex) when (socket is null)
                {
                    reason = ex.Message;
                    ForwardLog.Refused(session.LoggerFor(ForwardLog.Category), shownUser, session.RemoteAddress, request.Id, shown, LogText.Escape(ex.Message));
                    throw;
                }
                catch (FerryException ex)
                {
                    if (reason == "closed") reason = ex.Message;
                    throw;
                }
                catch (OperationCanceledException)
                {
                    reason = request.CancellationToken.IsCancellationRequested ? "the connection closed"
                        : session.Draining.IsCancellationRequested ? "the server shut down" : "cancelled";
                    if (socket is not null) socket.LingerState = new LingerOption(true, 0);
                    throw;
                }
                finally
                {
                    table.Remove(request.Id, stream);
                    if (socket is not null)
                    {
                        ForwardLog.Ended(session.LoggerFor(ForwardLog.Category), shownUser, session.RemoteAddress, request.Id, shown, LogText.Escape(reason),
                            channel.BytesReceived, channel.BytesSent);
                        socket.Dispose();
                    }
                    channel.Dispose();
                    ReleaseStream(user);
                }
            }, work));
            started = true;
        }
        finally
        {
            if (!started)
            {
                table.Remove(request.Id, stream);
                channel.Dispose();
                ReleaseStream(user);
            }
        }
    }

    // Forwards are open-ended, so graceful shutdown would wait its whole grace period for them: they end as soon as
    // the drain begins instead, each stream and listener answered shutting_down so its client can say why.
    private static async Task UntilShutdownAsync(ServerSession session, Func<CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        using var until = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, session.Draining);
        try
        {
            await work(until.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (session.Draining.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new FerryException(ProtocolError.ShuttingDown, "the server is shutting down: its forwarded streams and listeners end now");
        }
    }

    private void ReserveStream(string user, ForwardTable table)
    {
        lock (_perUser)
        {
            if (table.StreamCount >= _options.MaxStreamsPerConnection)
            {
                throw new FerryException(ProtocolError.Busy,
                    $"busy: this connection already has {_options.MaxStreamsPerConnection} forwarded streams open; close one first");
            }
            int mine = _perUser.GetValueOrDefault(user);
            if (mine >= _options.MaxStreamsPerUser)
            {
                throw new FerryException(ProtocolError.Busy,
                    $"busy: '{user}' already has {mine} forwarded streams open (the server's per-user limit); close one first");
            }
            if (_streams >= _options.MaxStreams)
            {
                throw new FerryException(ProtocolError.Busy, $"busy: the server already carries {_streams} forwarded streams (its limit); try again shortly");
            }
            _perUser[user] = mine + 1;
            _streams++;
        }
    }

    private void ReleaseStream(string user)
    {
        lock (_perUser)
        {
            int mine = _perUser.GetValueOrDefault(user) - 1;
            if (mine <= 0) _perUser.Remove(user);
            else _perUser[user] = mine;
            _streams--;
        }
    }

    private async Task<(Socket, string)> ConnectAsync(string host, int port, string destination, TimeProvider time, CancellationToken cancellationToken)
    {
        IReadOnlyList<IPAddress> resolved;
        if (IPAddress.TryParse(host, out var literal))
        {
            resolved = [literal];
        }
        else
        {
            try
            {
                resolved = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                throw new FerryException(ProtocolError.Unreachable, $"cannot resolve '{host}' on the server (for {destination})");
            }
        }
        var allowed = _options.Destinations.Filter(host, port, resolved);
        if (allowed.Length == 0)
        {
            throw new FerryException(ProtocolError.Forbidden,
                $"forbidden: {destination} is not a destination this server forwards to (its --forward-to allows {_options.Destinations.Description})");
        }
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        SocketException? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), deadline.Token).ConfigureAwait(false);
                return (socket, new IPEndPoint(address, port).ToString());
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                throw new FerryException(ProtocolError.Unreachable,
                    $"connecting to {destination} timed out after {_options.ConnectTimeout.TotalSeconds:0.#} s");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw new FerryException(ProtocolError.Unreachable, last is null ? $"cannot connect to {destination}" : last.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => $"connection refused to {destination}",
            SocketError.NetworkUnreachable or SocketError.HostUnreachable => $"no route to {destination}",
            SocketError.TimedOut => $"connecting to {destination} timed out",
            _ => $"cannot connect to {destination}: {last.Message}",
        });
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The socket goes to the listener, and the listener to the background work, which stops (disposes) it in its finally; when the work does not start, the finally here disposes the socket, which is all a listener holds before it accepted anything.")]
    private ValueTask ListenAsync(RequestContext request)
    {
        RequireEnabled();
        var listen = request.Read(ForwardJsonContext.Default.ForwardListenRequest);
        var bind = listen.Bind is null or "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(listen.Bind, out var parsed) ? parsed
            : throw new FerryException(ProtocolError.BadRequest, $"'bind' must be an IP address of the server or 'localhost' (got '{LogText.Escape(listen.Bind)}')");
        if (listen.Port is < 0 or > 65535) throw new FerryException(ProtocolError.BadRequest, $"'port' must be 0 (any free port) to 65535 (got {listen.Port})");
        if (!_options.AllowAnyBindAddress && !IPAddress.IsLoopback(bind))
        {
            throw new FerryException(ProtocolError.Forbidden,
                $"forbidden: this server binds remote forwards on its loopback only, not {bind}; start it with --forward-gateway to allow other addresses");
        }
        var table = request.GetState(s_tables);
        var socket = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        RemoteListener? listener = null;
        bool started = false;
        try
        {
            var endPoint = new IPEndPoint(bind, listen.Port);
            try
            {
                socket.Bind(endPoint);
                socket.Listen(128);
            }
            catch (SocketException ex)
            {
                throw new FerryException(ProtocolError.IoError, ex.SocketErrorCode switch
                {
                    SocketError.AddressAlreadyInUse => $"cannot listen on {endPoint}: the address is already in use on the server",
                    SocketError.AccessDenied => $"cannot listen on {endPoint}: permission denied (ports below 1024 need root on the server)",
                    SocketError.AddressNotAvailable => $"cannot listen on {endPoint}: the server has no such address",
                    _ => $"cannot listen on {endPoint}: {ex.Message}",
                });
            }
            var bound = (IPEndPoint)socket.LocalEndPoint!;
            listener = new RemoteListener(socket, bound.ToString());
            if (!table.TryAdd(request.Id, listener, _options.MaxListenersPerConnection))
            {
                throw new FerryException(ProtocolError.Busy,
                    $"busy: this connection already has {_options.MaxListenersPerConnection} remote forward listeners; close one first");
            }
            var session = request.Session;
            var user = LogText.Escape(request.Principal.Name);
            request.StartBackground(work => UntilShutdownAsync(session, async ct =>
            {
                try
                {
                    await request.SendAsync(MessageTypes.ForwardListening,
                        new ForwardListeningMessage { Bind = bound.Address.ToString(), Port = bound.Port },
                        ForwardJsonContext.Default.ForwardListeningMessage, ct).ConfigureAwait(false);
                    ForwardLog.Listening(session.LoggerFor(ForwardLog.Category), user, session.RemoteAddress, request.Id, listener.Address);
                    await AcceptLoopAsync(request, listener, ct).ConfigureAwait(false);
                }
                finally
                {
                    table.Remove(request.Id, listener);
                    listener.Stop();
                    ForwardLog.ListenerClosed(session.LoggerFor(ForwardLog.Category), user, session.RemoteAddress, request.Id, listener.Address);
                }
            }, work));
            started = true;
        }
        finally
        {
            if (!started)
            {
                if (listener is not null) table.Remove(request.Id, listener);
                socket.Dispose();
            }
        }
        return ValueTask.CompletedTask;
    }

    private async Task AcceptLoopAsync(RequestContext request, RemoteListener listener, CancellationToken cancellationToken)
    {
        using var stop = cancellationToken.Register(listener.Stop);
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await listener.Socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException && listener.IsStopped)
            {
                return; // stopped for a broken rule on its id, which the error frame already answered
            }
            accepted.NoDelay = true;
            long conn = listener.TryHold(accepted, _options.MaxPendingPerListener);
            if (conn == 0)
            {
                accepted.Dispose(); // the client is not taking them as fast as they come
                continue;
            }
            var from = accepted.RemoteEndPoint?.ToString();
            await request.SendAsync(MessageTypes.ForwardIncoming, new ForwardIncomingMessage { Conn = conn, From = from },
                ForwardJsonContext.Default.ForwardIncomingMessage, cancellationToken).ConfigureAwait(false);
            _ = ExpireAsync(listener, conn, request.Time, cancellationToken);
        }
    }

    // An accepted connection the client never takes is closed after the accept timeout.
    private async Task ExpireAsync(RemoteListener listener, long conn, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(_options.AcceptTimeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The listener stopped; it closed what was waiting.
        }
        listener.Take(conn)?.Dispose();
    }

    private ValueTask OnDataAsync(RequestContext request)
    {
        RequireEnabled();
        var message = request.Read(ForwardJsonContext.Default.ForwardDataMessage);
        var table = request.GetState(s_tables);
        var stream = request.IsContinuation ? table.FindStream(request.Id) : null;
        if (stream is null)
        {
            // A listener's id carries no data: whatever runs there ends with the error, as it would for a stream.
            if (request.IsContinuation && table.FindListener(request.Id) is { } listener) listener.Stop();
            throw new FerryException(ProtocolError.NotFound, $"no forwarded stream is open on request id {request.Id}");
        }
        return ReceiveAsync(request, stream, message.Eof);
    }

    private static async ValueTask ReceiveAsync(RequestContext request, ForwardStream stream, bool eof)
    {
        try
        {
            await stream.Channel.OnDataAsync(request.Body, eof, request.CancellationToken).ConfigureAwait(false);
        }
        catch (FerryException ex)
        {
            // The stream broke its window: it ends here (the error frame goes out on its id), the connection goes on.
            stream.Channel.Abort(ex);
            throw;
        }
    }

    private ValueTask OnCreditAsync(RequestContext request)
    {
        RequireEnabled();
        var message = request.Read(ForwardJsonContext.Default.ForwardCreditMessage);
        // Credit races with the stream's end (the client credits what it received while forward.close is on its way): dropped.
        if (!request.IsContinuation || request.GetState(s_tables).FindStream(request.Id) is not { } stream) return ValueTask.CompletedTask;
        try
        {
            stream.Channel.AddCredit(message.Bytes);
        }
        catch (FerryException ex)
        {
            stream.Channel.Abort(ex);
            throw;
        }
        return ValueTask.CompletedTask;
    }

    private ValueTask OnDeclineAsync(RequestContext request)
    {
        RequireEnabled();
        var message = request.Read(ForwardJsonContext.Default.ForwardDeclineMessage);
        // A decline for a connection that already timed out, or on an id that is not a listener, has nothing to close.
        if (request.IsContinuation) request.GetState(s_tables).FindListener(request.Id)?.Take(message.Conn)?.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string CheckHost(string? host)
    {
        if (string.IsNullOrEmpty(host) || host.Length > 253 || host.Any(c => c <= ' ' || c == 0x7f || c is '/' or '\\' or '[' or ']'))
        {
            throw new FerryException(ProtocolError.BadRequest,
                "'host' must be a host name or an IP address (1 to 253 characters, no spaces, control characters or brackets)");
        }
        return host;
    }

    private static int CheckWindow(int? window)
    {
        if (window is null) return ForwardLimits.DefaultWindowBytes;
        if (!ForwardLimits.IsValidWindow(window.Value))
        {
            throw new FerryException(ProtocolError.BadRequest,
                $"'window' must be {ForwardLimits.MinWindowBytes} to {ForwardLimits.MaxWindowBytes} bytes (got {window})");
        }
        return window.Value;
    }

    internal static string Display(string host, int port) =>
        (host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture);

    private static string Describe(SocketException ex) => ex.SocketErrorCode switch
    {
        SocketError.ConnectionReset => "reset the connection",
        SocketError.ConnectionAborted => "aborted the connection",
        SocketError.Shutdown or SocketError.NotConnected => "closed the connection",
        _ => "failed: " + ex.Message,
    };

    // The channel's frames, through the request's context: once the exchange has ended they cannot go out on its id.
    private sealed class ContextFrames(RequestContext request) : ITunnelFrames
    {
        private static readonly ForwardDataMessage s_data = new();
        private static readonly ForwardDataMessage s_eof = new() { Eof = true };

        public ValueTask SendDataAsync(ReadOnlyMemory<byte> data, bool eof, CancellationToken cancellationToken) =>
            request.SendAsync(MessageTypes.ForwardData, eof ? s_eof : s_data, ForwardJsonContext.Default.ForwardDataMessage, data, cancellationToken);

        public ValueTask SendCreditAsync(long bytes, CancellationToken cancellationToken) =>
            request.SendAsync(MessageTypes.ForwardCredit, new ForwardCreditMessage { Bytes = bytes }, ForwardJsonContext.Default.ForwardCreditMessage,
                cancellationToken);
    }
}

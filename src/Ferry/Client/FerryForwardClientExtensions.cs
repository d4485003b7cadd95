using System.Net.Sockets;
using Ferry.Contracts.Forward;
using Ferry.Protocol;
using Ferry.Transfers;

namespace Ferry.Client;

/// <summary>
/// TCP port forwarding from the client side (docs/protocol.md §5.9): streams to destinations the server reaches
/// (<c>ssh -L</c>, and <c>-D</c> through a SOCKS5 proxy), and listeners on the server whose connections come back here
/// (<c>ssh -R</c>). Every stream is a request of its own on the one connection, with its own flow control.
/// </summary>
public static class FerryForwardClientExtensions
{
    /// <summary>
    /// Asks the server to connect to <paramref name="host"/>:<paramref name="port"/> and returns the open tunnel, ready
    /// for <see cref="ForwardTunnel.RunAsync"/>.
    /// </summary>
    /// <exception cref="FerryException">The server refused: <c>unreachable</c> ("connection refused to db:5432"),
    /// <c>forbidden</c> (no <c>forward</c> right, or a destination its <c>--forward-to</c> does not allow),
    /// <c>disabled</c>, <c>busy</c>.</exception>
    public static Task<ForwardTunnel> OpenForwardAsync(this FerryClient client, string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(host);
        return OpenAsync(client, (connection, id, window, ct) => connection.SendAsync(MessageTypes.ForwardOpen, id,
            new ForwardOpenRequest { Host = host, Port = port, Window = window }, ForwardJsonContext.Default.ForwardOpenRequest, ct), cancellationToken);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The channel goes to the tunnel returned, which disposes it (ForwardTunnel.DisposeAsync); on failure the catch disposes it.")]
    internal static async Task<ForwardTunnel> OpenAsync(FerryClient client,
        Func<Connections.FrameConnection, long, int, CancellationToken, ValueTask> send, CancellationToken cancellationToken)
    {
        long id = client.NextId();
        var channel = new TunnelChannel(ForwardLimits.DefaultWindowBytes, new ClientTunnelFrames(client.Connection, id));
        var sink = new TunnelSink(channel);
        client.Register(id, sink);
        try
        {
            await send(client.Connection, id, channel.ReceiveWindow, cancellationToken).ConfigureAwait(false);
            var ready = await sink.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new ForwardTunnel(client, id, sink, ready.Address);
        }
        catch
        {
            if (!sink.ServerEnded) await client.TrySendCancelAsync(id).ConfigureAwait(false);
            client.Unregister(id);
            channel.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Asks the server to listen on <paramref name="bind"/>:<paramref name="port"/> (null: its loopback; port 0: any
    /// free one) and returns the listener once it is listening; its connections arrive through
    /// <see cref="RemoteForwardListener.AcceptAsync"/>.
    /// </summary>
    /// <exception cref="FerryException">The server refused: <c>forbidden</c> (a non-loopback address without
    /// <c>--forward-gateway</c>, or no right), <c>io_error</c> (the port is in use), <c>disabled</c>, <c>busy</c>.</exception>
    public static async Task<RemoteForwardListener> ListenRemoteAsync(this FerryClient client, string? bind, int port, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        long id = client.NextId();
        var listener = new RemoteForwardListener(client, id);
        client.Register(id, listener.Sink);
        try
        {
            await client.Connection.SendAsync(MessageTypes.ForwardListen, id, new ForwardListenRequest { Bind = bind, Port = port },
                ForwardJsonContext.Default.ForwardListenRequest, cancellationToken).ConfigureAwait(false);
            var listening = await listener.Sink.Listening.WaitAsync(cancellationToken).ConfigureAwait(false);
            listener.Bound(listening);
            return listener;
        }
        catch
        {
            await listener.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// <c>ssh -L</c>: accepts connections on <paramref name="listener"/> (a listening socket here) and carries each to
    /// <paramref name="host"/>:<paramref name="port"/> as seen from the server, until cancelled or the connection
    /// closes. A connection the server cannot make is closed here and reported to <paramref name="problems"/> (one line,
    /// e.g. "connection refused to db:5432"); the others go on.
    /// </summary>
    public static Task ForwardLocalAsync(this FerryClient client, Socket listener, string host, int port, Action<string>? problems = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(listener);
        return AcceptLoopAsync(client, listener, async (socket, ct) =>
        {
            var tunnel = await client.OpenForwardAsync(host, port, ct).ConfigureAwait(false);
            await using (tunnel.ConfigureAwait(false)) await tunnel.RunAsync(socket, ct).ConfigureAwait(false);
        }, problems, cancellationToken);
    }

    /// <summary>
    /// <c>ssh -D</c>: a SOCKS5 proxy (CONNECT, no authentication; RFC 1928) on <paramref name="listener"/>: each client
    /// names its destination and the server connects to it. Refusals go back as SOCKS replies (connection refused,
    /// host unreachable, not allowed) and to <paramref name="problems"/>.
    /// </summary>
    public static Task ForwardSocksAsync(this FerryClient client, Socket listener, Action<string>? problems = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(listener);
        return AcceptLoopAsync(client, listener, (socket, ct) => Socks5Proxy.ServeAsync(client, socket, ct), problems, cancellationToken);
    }

    /// <summary>
    /// <c>ssh -R</c>: takes each connection <paramref name="listener"/> accepted on the server and carries it to
    /// <paramref name="host"/>:<paramref name="port"/> as seen from here, until cancelled or the connection closes. One
    /// this side cannot connect to is declined (the server closes it) and reported to <paramref name="problems"/>.
    /// </summary>
    public static async Task ForwardRemoteAsync(this RemoteForwardListener listener, string host, int port, Action<string>? problems = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(listener);
        await EachOnItsOwnAsync(listener.AcceptAsync, (incoming, ct) => CarryRemoteAsync(incoming, host, port, problems, ct), cancellationToken)
            .ConfigureAwait(false);
    }

    private static async Task CarryRemoteAsync(RemoteForwardConnection incoming, string host, int port, Action<string>? problems, CancellationToken cancellationToken)
    {
        var destination = Display(host, port);
        Socket? socket = null;
        try
        {
            try
            {
                socket = await ConnectLocalAsync(host, port, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                problems?.Invoke($"{incoming.From} -> {destination}: {Describe(ex, destination)}");
                await incoming.DeclineAsync().ConfigureAwait(false);
                return;
            }
            var tunnel = await incoming.AcceptAsync(cancellationToken).ConfigureAwait(false);
            await using (tunnel.ConfigureAwait(false)) await tunnel.RunAsync(socket, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FerryException or SocketException or IOException or Connections.ConnectionClosedException && !cancellationToken.IsCancellationRequested)
        {
            problems?.Invoke($"{incoming.From} -> {destination}: {ex.Message}");
        }
        catch (Exception ex) when (ex is OperationCanceledException or FerryException or SocketException or IOException or Connections.ConnectionClosedException)
        {
            // Stopping: every stream ends with the forwarder.
        }
        finally
        {
            socket?.Dispose();
        }
    }

    private static async Task<Socket> ConnectLocalAsync(string host, int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // Each accepted socket runs on its own; the loop ends with the token or the client's connection, and waits for its
    // streams to end before returning.
    private static async Task AcceptLoopAsync(FerryClient client, Socket listener, Func<Socket, CancellationToken, Task> carry,
        Action<string>? problems, CancellationToken cancellationToken)
    {
        using var connected = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _ = client.Completion.ContinueWith(_ => connected.Cancel(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        async ValueTask<Socket> AcceptAsync(CancellationToken ct)
        {
            try
            {
                var accepted = await listener.AcceptAsync(ct).ConfigureAwait(false);
                accepted.NoDelay = true;
                return accepted;
            }
            catch (OperationCanceledException) when (client.Completion.IsCompleted && !cancellationToken.IsCancellationRequested)
            {
                await client.Completion.ConfigureAwait(false);
                throw new Connections.ConnectionClosedException("the connection to the server closed", Connections.CloseReason.PeerClosed);
            }
        }
        await EachOnItsOwnAsync(AcceptAsync, (socket, ct) => CarryAsync(socket, carry, problems, ct), connected.Token).ConfigureAwait(false);
    }

    // Runs `carry` for each item `next` gives, each on its own, until `next` throws (the token, the connection's end);
    // then stops them all and waits for them, so no stream outlives its forwarder.
    private static async Task EachOnItsOwnAsync<T>(Func<CancellationToken, ValueTask<T>> next, Func<T, CancellationToken, Task> carry,
        CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = new HashSet<Task>();
        try
        {
            while (true)
            {
                var item = await next(stop.Token).ConfigureAwait(false);
                var task = carry(item, stop.Token);
                lock (running) running.Add(task);
                _ = task.ContinueWith(t =>
                {
                    lock (running) running.Remove(t);
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            Task[] left;
            lock (running) left = [.. running];
            await Task.WhenAll(left).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static async Task CarryAsync(Socket socket, Func<Socket, CancellationToken, Task> carry, Action<string>? problems, CancellationToken cancellationToken)
    {
        try
        {
            await carry(socket, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when ((ex is FerryException or SocketException or IOException or Connections.ConnectionClosedException && !cancellationToken.IsCancellationRequested)
            || ex is FerryException { Error: ProtocolError.ShuttingDown })
        {
            // Reset what the local program sees, as the other end did: it learns the stream broke, not that it ended.
            // The server shutting down is said even though the connection's end stops the forwarder at the same moment.
            socket.LingerState = new LingerOption(true, 0);
            problems?.Invoke(ex.Message);
        }
        catch (Exception ex) when (ex is OperationCanceledException or FerryException or SocketException or IOException or Connections.ConnectionClosedException)
        {
            // Stopping: every stream ends with the forwarder.
        }
        finally
        {
            socket.Dispose();
        }
    }

    internal static string Display(string host, int port) =>
        (host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host) + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal static string Describe(SocketException ex, string destination) => ex.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => $"connection refused to {destination}",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"cannot resolve the host of {destination}",
        SocketError.NetworkUnreachable or SocketError.HostUnreachable => $"no route to {destination}",
        SocketError.TimedOut => $"connecting to {destination} timed out",
        _ => $"cannot connect to {destination}: {ex.Message}",
    };
}

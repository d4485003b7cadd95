using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ferry.Tests.Services.Forward;

/// <summary>
/// Real TCP servers on 127.0.0.1 port 0 for forwarding tests to reach: each connection is served by
/// <c>serve</c> on its own task until the target is disposed.
/// </summary>
public sealed class TcpTarget : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _accepted;

    private TcpTarget(Func<Socket, CancellationToken, Task> serve)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        _loop = AcceptAsync(serve);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Returns every byte until the peer's end of file, then closes.</summary>
    public static TcpTarget Echo() => new(async (socket, ct) =>
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (n == 0) break;
            await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, ct);
        }
        socket.Shutdown(SocketShutdown.Send);
    });

    /// <summary>Reads until end of file, then answers "N bytes\n" and closes: only a half-close that arrives gets an answer.</summary>
    public static TcpTarget CountUntilEof() => new(async (socket, ct) =>
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (n == 0) break;
            total += n;
        }
        await socket.SendAsync(Encoding.ASCII.GetBytes($"{total} bytes\n"), SocketFlags.None, ct);
        socket.Shutdown(SocketShutdown.Send);
        // Wait for the peer's close, so our FIN is not turned into a reset by unread data.
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, ct) > 0) { }
    });

    /// <summary>
    /// Reads until end of file and then keeps its side open until the target is disposed: the forwarded stream stays
    /// open after the client's eof, so what the client sends next meets that stream, not one already closed.
    /// </summary>
    public static TcpTarget HoldOpenAfterEof() => new(async (socket, ct) =>
    {
        var buffer = new byte[64 * 1024];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, ct) > 0) { }
        await Task.Delay(Timeout.Infinite, ct);
    });

    /// <summary>Sends bytes without end and never reads: a destination that floods a reader who does not read.</summary>
    public static TcpTarget Flood() => new(async (socket, ct) =>
    {
        var buffer = new byte[64 * 1024];
        while (true) await socket.SendAsync(buffer, SocketFlags.None, ct);
    });

    /// <summary>Answers one HTTP/1.0 GET with <paramref name="body"/>.</summary>
    public static TcpTarget Http(string body) => new(async (socket, ct) =>
    {
        var buffer = new byte[8192];
        var request = new StringBuilder();
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (n == 0) return;
            request.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        var bytes = Encoding.UTF8.GetBytes(body);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {bytes.Length}\r\n\r\n"), SocketFlags.None, ct);
        await socket.SendAsync(bytes, SocketFlags.None, ct);
        socket.Shutdown(SocketShutdown.Send);
    });

    /// <summary>A port on 127.0.0.1 that nothing listens on (bound, then closed).</summary>
    public static int ClosedPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private async Task AcceptAsync(Func<Socket, CancellationToken, Task> serve)
    {
        var running = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptAsync(_stop.Token);
                Interlocked.Increment(ref _accepted);
                running.Add(Task.Run(async () =>
                {
                    using (socket)
                    {
                        try
                        {
                            await serve(socket, _stop.Token);
                        }
                        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
                        {
                            // The peer went away, or the target stops.
                        }
                    }
                }));
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Stopping.
        }
        await Task.WhenAll(running);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>A listening socket on 127.0.0.1 port 0 for the client side of a forward, and connections to it.</summary>
public static class LocalPorts
{
    public static Socket Listen()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(512);
        return socket;
    }

    public static int PortOf(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;

    public static async Task<Socket> ConnectAsync(int port, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
        return socket;
    }

    /// <summary>Sends <paramref name="data"/> and reads until end of file concurrently, so neither direction's buffers fill up and stall.</summary>
    public static async Task<byte[]> RoundTripAsync(Socket socket, byte[] data, CancellationToken cancellationToken, bool halfClose = true)
    {
        var send = Task.Run(async () =>
        {
            for (int offset = 0; offset < data.Length; offset += 256 * 1024)
            {
                await socket.SendAsync(data.AsMemory(offset, Math.Min(256 * 1024, data.Length - offset)), SocketFlags.None, cancellationToken);
            }
            if (halfClose) socket.Shutdown(SocketShutdown.Send);
        }, cancellationToken);
        var received = await ReadToEndAsync(socket, cancellationToken);
        await send;
        return received;
    }

    public static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        using var all = new MemoryStream();
        var buffer = new byte[256 * 1024];
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (n == 0) return all.ToArray();
            all.Write(buffer, 0, n);
        }
    }
}

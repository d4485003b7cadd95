using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ferry.Cli.Demos.Sticky;

/// <summary>A connected client/server pair of real TCP sockets on 127.0.0.1 (port 0), plus the socket moves the demos narrate.</summary>
internal sealed class LoopbackPair : IDisposable
{
    /// <summary>How long a demo waits for bytes it knows are coming before it calls the run broken.</summary>
    public static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(5);

    private LoopbackPair(Socket client, Socket server)
    {
        Client = client;
        Server = server;
    }

    public Socket Client { get; }

    public Socket Server { get; }

    /// <param name="noDelay">False keeps Nagle's algorithm on (the default for a TCP socket), as in the course.</param>
    public static async Task<LoopbackPair> OpenAsync(bool noDelay, CancellationToken cancellationToken)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = noDelay };
        try
        {
            var accepting = listener.AcceptAsync(cancellationToken);
            await client.ConnectAsync(listener.LocalEndPoint!, cancellationToken).ConfigureAwait(false);
            var server = await accepting.ConfigureAwait(false);
            server.NoDelay = noDelay;
            return new LoopbackPair(client, server);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits until at least <paramref name="count"/> bytes sit unread in <paramref name="socket"/>'s receive buffer.
    /// This is what makes the demos deterministic: a read issued after it sees everything that was sent.
    /// Polls (1 ms apart) because no socket API waits for "N bytes available"; bounded by <see cref="ArrivalTimeout"/>.
    /// </summary>
    public static async Task WaitForBytesAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(ArrivalTimeout.TotalSeconds * Stopwatch.Frequency);
        while (socket.Available < count)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"only {socket.Available} of the {count} bytes sent arrived within {ArrivalTimeout.TotalSeconds:0} s");
            }
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One recv call of at most <paramref name="max"/> bytes, like Python's <c>conn.recv(max)</c>.</summary>
    public static async Task<byte[]> ReceiveOnceAsync(Socket socket, int max, CancellationToken cancellationToken)
    {
        var buffer = new byte[max];
        int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        return buffer[..n];
    }

    /// <summary>Like Python's <c>sendall</c>: keeps sending until every byte is handed to the kernel.</summary>
    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int n = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[n..];
        }
    }

    /// <summary>Reads exactly <paramref name="buffer"/>'s length; throws if the peer closes first.</summary>
    public static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0) throw new EndOfStreamException($"the peer closed with {buffer.Length} byte(s) still expected");
            buffer = buffer[n..];
        }
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}

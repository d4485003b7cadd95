using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Ferry.Client;
using Ferry.Connections;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Connections;

/// <summary>
/// A request cancelled while its frame is being written must not tear the frame (or, under TLS, the record): the
/// connection has to stay usable for every other request on it.
/// </summary>
public class CancelledSendTests
{
    [Fact]
    public async Task SendsCancelledAtRandomMomentsLeaveTheTlsStreamIntact()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        var body = new byte[1024 * 1024];
        var random = new Random(7);
        int cancelled = 0;
        for (int round = 0; round < 10; round++)
        {
            var attempts = Enumerable.Range(0, 6).Select(async _ =>
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(random.Next(0, 4)));
                try
                {
                    var reply = await client.EchoAsync(body, cancellationToken: cts.Token);
                    Assert.Equal(body.Length, reply.Length);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelled);
                }
            });
            await Task.WhenAll(attempts).WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.True(cancelled > 0, "no send was cancelled, so the test proved nothing");
        var last = await client.EchoAsync("still framed"u8.ToArray()).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("still framed"u8.ToArray(), last);
    }

    [Fact]
    public async Task ACancelledSendStuckOnAPeerThatStoppedReadingClosesTheConnectionAfterTheGrace()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(listener.LocalEndPoint!);
        using var peer = await listener.AcceptAsync(); // accepts, and never reads a byte
        var stream = new NetworkStream(socket, ownsSocket: false);
        var pipe = new DuplexPipe(PipeReader.Create(stream), PipeWriter.Create(stream));
        await using var connection = new FrameConnection(pipe, () => socket.Dispose()) { StuckFlushGrace = TimeSpan.FromMilliseconds(300) };
        var body = new byte[1024 * 1024];

        using var cts = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            // Fill the socket buffers until a flush blocks; at most 64 MiB, far more than loopback buffers hold.
            for (int i = 0; i < 64; i++) await connection.SendAsync<object>("echo", i + 1, null, null, body, cts.Token);
        });
        var stuck = await Task.WhenAny(sending, Task.Delay(TimeSpan.FromSeconds(2)));
        Assert.NotSame(sending, stuck); // the peer never reads, so some send must be waiting by now
        cts.Cancel();
        await Assert.ThrowsAsync<ConnectionClosedException>(() => sending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(CloseReason.Timeout, connection.CloseReason);
        Assert.Contains("stopped reading", connection.CloseMessage, StringComparison.Ordinal);
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}

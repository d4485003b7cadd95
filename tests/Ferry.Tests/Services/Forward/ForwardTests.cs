using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Ferry.Client;
using Ferry.Hosting;
using Ferry.Protocol;
using Ferry.Security;
using Ferry.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ferry.Tests.Services.Forward;

/// <summary>
/// Port forwarding end to end (docs/protocol.md §5.9): a real server on port 0 with forwarding on, real TCP targets
/// on loopback, the real client's local listener, and plain sockets as the programs that use the tunnel.
/// </summary>
public class ForwardTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    internal static Task<TestServer> StartAsync(Action<FerryHostOptions>? configure = null) => TestServer.StartAsync(o =>
    {
        o.Forward.Enabled = true;
        configure?.Invoke(o);
    });

    /// <summary>A running <c>-L</c>: a local listener whose connections the client carries to HOST:PORT through the server.</summary>
    internal sealed class LocalForward : IAsyncDisposable
    {
        private readonly Socket _listener = LocalPorts.Listen();
        private readonly CancellationTokenSource _stop = new();

        public LocalForward(FerryClient client, string host, int port)
        {
            Running = client.ForwardLocalAsync(_listener, host, port, Problems.Enqueue, _stop.Token);
        }

        public int Port => LocalPorts.PortOf(_listener);

        public Task Running { get; }

        public ConcurrentQueue<string> Problems { get; } = new();

        public Task<Socket> ConnectAsync(CancellationToken cancellationToken = default) => LocalPorts.ConnectAsync(Port, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await Running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _listener.Dispose();
            _stop.Dispose();
        }
    }

    [Fact]
    public async Task ALargePayloadRoundTripsThroughMinusLByteIdentical()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await StartAsync();
        await using var echo = TcpTarget.Echo();
        var client = await server.ConnectAsync();
        await using var forward = new LocalForward(client, "127.0.0.1", echo.Port);

        var payload = RandomNumberGenerator.GetBytes(32 * 1024 * 1024);
        using var socket = await forward.ConnectAsync(deadline.Token);
        var back = await LocalPorts.RoundTripAsync(socket, payload, deadline.Token);
        Assert.Equal(payload.Length, back.Length);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(back));
        Assert.Empty(forward.Problems);
    }

    [Fact]
    public async Task AHundredConcurrentStreamsThroughOneTunnelAreEachByteIdentical()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await StartAsync();
        await using var echo = TcpTarget.Echo();
        var client = await server.ConnectAsync();
        await using var forward = new LocalForward(client, "localhost", echo.Port);

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
        {
            var payload = RandomNumberGenerator.GetBytes(64 * 1024 + i * 977);
            using var socket = await forward.ConnectAsync(deadline.Token);
            var back = await LocalPorts.RoundTripAsync(socket, payload, deadline.Token);
            return payload.AsSpan().SequenceEqual(back);
        }));
        Assert.All(results, Assert.True);
        Assert.Equal(100, echo.Accepted);
        Assert.Empty(forward.Problems);
    }

    [Fact]
    public async Task AStreamWhoseReaderNeverReadsDoesNotSlowAnother()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await StartAsync();
        await using var flood = TcpTarget.Flood();
        await using var echo = TcpTarget.Echo();
        var client = await server.ConnectAsync();
        await using var toFlood = new LocalForward(client, "127.0.0.1", flood.Port);
        await using var toEcho = new LocalForward(client, "127.0.0.1", echo.Port);

        // The flood fills its window, our socket's buffers and the server's: then it can go no further, because
        // nobody reads this socket. Everything else on the connection must still move at full speed.
        using var stalled = await toFlood.ConnectAsync(deadline.Token);
        stalled.ReceiveBufferSize = 64 * 1024;
        await Task.Delay(200, deadline.Token); // let it fill (not a synchronisation: the assertions hold either way)
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var payload = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
        using var other = await toEcho.ConnectAsync(deadline.Token);
        var back = await LocalPorts.RoundTripAsync(other, payload, deadline.Token);
        output.WriteLine($"8 MiB echoed in {clock.Elapsed.TotalMilliseconds:0} ms beside a stalled stream");
        Assert.Equal(payload, back);
        await client.RequestAsync<object, object>(MessageTypes.Ping, null, null, null, ReadOnlyMemory<byte>.Empty, deadline.Token);

        // And the stalled stream is only paused: it still delivers once read.
        var buffer = new byte[1024 * 1024];
        int total = 0;
        while (total < 4 * 1024 * 1024) total += await stalled.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
    }

    [Fact]
    public async Task HalfCloseTravelsBothWays()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await StartAsync();
        await using var counter = TcpTarget.CountUntilEof();
        var client = await server.ConnectAsync();
        await using var forward = new LocalForward(client, "127.0.0.1", counter.Port);

        using var socket = await forward.ConnectAsync(deadline.Token);
        var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 5);
        await socket.SendAsync(data, SocketFlags.None, deadline.Token);
        // Our FIN must reach the target (it answers only at end of file), and its answer and FIN must come back to a
        // socket that can no longer send but still reads.
        socket.Shutdown(SocketShutdown.Send);
        var answer = await LocalPorts.ReadToEndAsync(socket, deadline.Token);
        Assert.Equal($"{data.Length} bytes\n", Encoding.ASCII.GetString(answer));
    }

    [Fact]
    public async Task ARefusedDestinationIsReportedAndTheOtherStreamsGoOn()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await StartAsync();
        await using var echo = TcpTarget.Echo();
        int closed = TcpTarget.ClosedPort();
        var client = await server.ConnectAsync();

        var refused = await Assert.ThrowsAsync<FerryException>(() => client.OpenForwardAsync("127.0.0.1", closed, deadline.Token));
        Assert.Equal(ProtocolError.Unreachable, refused.Error);
        Assert.Equal($"connection refused to 127.0.0.1:{closed}", refused.Message);

        await using var toNothing = new LocalForward(client, "127.0.0.1", closed);
        await using var toEcho = new LocalForward(client, "127.0.0.1", echo.Port);
        using var open = await toEcho.ConnectAsync(deadline.Token);
        await open.SendAsync("before"u8.ToArray(), SocketFlags.None, deadline.Token);
        try
        {
            // The program that connected here learns it at once: its socket is closed (reset; on a busy machine the
            // reset can even beat the connect's own completion).
            using var local = await toNothing.ConnectAsync(deadline.Token);
            Assert.Equal(0, await local.ReceiveAsync(new byte[16], SocketFlags.None, deadline.Token));
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Reset, as intended.
        }
        Assert.Equal($"connection refused to 127.0.0.1:{closed}", Assert.Single(toNothing.Problems));
        await open.SendAsync(" after"u8.ToArray(), SocketFlags.None, deadline.Token);
        open.Shutdown(SocketShutdown.Send);
        Assert.Equal("before after", Encoding.ASCII.GetString(await LocalPorts.ReadToEndAsync(open, deadline.Token)));
    }

    [Fact]
    public async Task AnHttpServerIsReachedThroughMinusL()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await StartAsync();
        await using var web = TcpTarget.Http("hello through the tunnel\n");
        var client = await server.ConnectAsync();
        await using var forward = new LocalForward(client, "localhost", web.Port);
        using var http = new HttpClient();
        var body = await http.GetStringAsync($"http://127.0.0.1:{forward.Port}/", deadline.Token);
        Assert.Equal("hello through the tunnel\n", body);
    }

    [Fact]
    public async Task DestinationsOutsideTheForwardToListAreForbidden()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        // The default list is the server's loopback; 192.0.2.1 (TEST-NET-1) is refused before any packet is sent.
        var refused = await Assert.ThrowsAsync<FerryException>(() => client.OpenForwardAsync("192.0.2.1", 80, deadline.Token));
        Assert.Equal(ProtocolError.Forbidden, refused.Error);
        Assert.Contains("192.0.2.1:80 is not a destination this server forwards to", refused.Message);
        Assert.Contains("127.0.0.0/8", refused.Message);

        await using var narrow = await StartAsync(o => o.Forward.Destinations = Ferry.Services.Forward.ForwardDestinations.Parse(["127.0.0.1:1-1000"]));
        var narrowClient = await narrow.ConnectAsync();
        var outside = await Assert.ThrowsAsync<FerryException>(() => narrowClient.OpenForwardAsync("127.0.0.1", 5000, deadline.Token));
        Assert.Equal(ProtocolError.Forbidden, outside.Error);
    }

    [Fact]
    public async Task ForwardingIsOffUnlessTheServerAllowsIt()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        var refused = await Assert.ThrowsAsync<FerryException>(() => client.OpenForwardAsync("127.0.0.1", 80, deadline.Token));
        Assert.Equal(ProtocolError.Disabled, refused.Error);
        Assert.Contains("--allow-forward", refused.Message);
    }

    [Fact]
    public async Task AUserWithoutTheForwardRightIsRefused()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await StartAsync();
        await using var echo = TcpTarget.Echo();
        server.AddUser("ann", "secret-ann", Rights.FilesRead);
        server.AddUser("bob", "secret-bob", Rights.Forward);
        await using var ann = await FerryClient.ConnectAsync(server.UserOptions("ann", "secret-ann"), deadline.Token);
        var refused = await Assert.ThrowsAsync<FerryException>(() => ann.OpenForwardAsync("127.0.0.1", echo.Port, deadline.Token));
        Assert.Equal(ProtocolError.Forbidden, refused.Error);
        Assert.Contains("'forward' right", refused.Message);
        var listen = await Assert.ThrowsAsync<FerryException>(() => ann.ListenRemoteAsync(null, 0, deadline.Token));
        Assert.Equal(ProtocolError.Forbidden, listen.Error);
        Assert.Equal(0, echo.Accepted);

        await using var bob = await FerryClient.ConnectAsync(server.UserOptions("bob", "secret-bob"), deadline.Token);
        await using var tunnel = await bob.OpenForwardAsync("127.0.0.1", echo.Port, deadline.Token);
        Assert.Equal($"127.0.0.1:{echo.Port}", tunnel.RemoteAddress);
    }

    [Fact]
    public async Task StreamsPastTheConnectionCapAreBusy()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await StartAsync(o => o.Forward.MaxStreamsPerConnection = 2);
        await using var echo = TcpTarget.Echo();
        var client = await server.ConnectAsync();
        await using var one = await client.OpenForwardAsync("127.0.0.1", echo.Port, deadline.Token);
        await using var two = await client.OpenForwardAsync("127.0.0.1", echo.Port, deadline.Token);
        var busy = await Assert.ThrowsAsync<FerryException>(() => client.OpenForwardAsync("127.0.0.1", echo.Port, deadline.Token));
        Assert.Equal(ProtocolError.Busy, busy.Error);
        // Another connection of the same user has its own.
        var second = await server.ConnectAsync();
        await using var three = await second.OpenForwardAsync("127.0.0.1", echo.Port, deadline.Token);
    }

    [Fact]
    public async Task StreamsPastTheUserCapAreBusyOnEveryConnection()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await StartAsync(o => o.Forward.MaxStreamsPerUser = 2);
        await using var echo = TcpTarget.Echo();
        var first = await server.ConnectAsync();
        var second = await server.ConnectAsync();
        await using var one = await first.OpenForwardAsync("127.0.0.1", echo.Port, deadline.Token);
        await using var two = await second.OpenForwardAsync("127.0.0.1", echo.Port, deadline.Token);
        var busy = await Assert.ThrowsAsync<FerryException>(() => first.OpenForwardAsync("127.0.0.1", echo.Port, deadline.Token));
        Assert.Equal(ProtocolError.Busy, busy.Error);
        Assert.Contains("'key' already has 2", busy.Message);
    }

    [Fact]
    public async Task MinusRListensOnTheServersLoopbackAndCarriesConnectionsBackHere()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await StartAsync();
        await using var echo = TcpTarget.Echo();
        int closed = TcpTarget.ClosedPort();
        var client = await server.ConnectAsync();
        await using var listener = await client.ListenRemoteAsync(null, 0, deadline.Token);
        Assert.Equal("127.0.0.1", listener.Address);
        var problems = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var running = listener.ForwardRemoteAsync("127.0.0.1", echo.Port, problems.Enqueue, stop.Token);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var payload = RandomNumberGenerator.GetBytes(256 * 1024 + i);
            using var visitor = await LocalPorts.ConnectAsync(listener.Port, deadline.Token);
            var back = await LocalPorts.RoundTripAsync(visitor, payload, deadline.Token);
            return payload.AsSpan().SequenceEqual(back);
        }));
        Assert.All(results, Assert.True);
        Assert.Equal(20, echo.Accepted);

        // A second listener whose local destination refuses: the visitor's connection is closed, one line is reported.
        await using var toNothing = await client.ListenRemoteAsync("127.0.0.1", 0, deadline.Token);
        var failing = toNothing.ForwardRemoteAsync("127.0.0.1", closed, problems.Enqueue, stop.Token);
        using (var visitor = await LocalPorts.ConnectAsync(toNothing.Port, deadline.Token))
        {
            Assert.Empty(await LocalPorts.ReadToEndAsync(visitor, deadline.Token));
        }
        Assert.Contains($"connection refused to 127.0.0.1:{closed}", Assert.Single(problems));
        stop.Cancel();
        await Task.WhenAll(running, failing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        Assert.True(running.IsCompleted);
    }

    [Fact]
    public async Task MinusRRefusesANonLoopbackAddressUnlessTheServerAllowsIt()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        var refused = await Assert.ThrowsAsync<FerryException>(() => client.ListenRemoteAsync("0.0.0.0", 0, deadline.Token));
        Assert.Equal(ProtocolError.Forbidden, refused.Error);
        Assert.Contains("--forward-gateway", refused.Message);

        await using var gateway = await StartAsync(o => o.Forward.AllowAnyBindAddress = true);
        var gatewayClient = await gateway.ConnectAsync();
        await using var listener = await gatewayClient.ListenRemoteAsync("0.0.0.0", 0, deadline.Token);
        Assert.Equal("0.0.0.0", listener.Address);
    }

    [Fact]
    public async Task MinusDIsASocks5ProxyForConnect()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await StartAsync();
        await using var echo = TcpTarget.Echo();
        await using var web = TcpTarget.Http("via socks\n");
        int closed = TcpTarget.ClosedPort();
        var client = await server.ConnectAsync();
        using var proxy = LocalPorts.Listen();
        var problems = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var running = client.ForwardSocksAsync(proxy, problems.Enqueue, stop.Token);
        int proxyPort = LocalPorts.PortOf(proxy);

        // By hand: greeting, CONNECT to a domain name, then the stream.
        using (var socket = await LocalPorts.ConnectAsync(proxyPort, deadline.Token))
        {
            await socket.SendAsync(new byte[] { 5, 1, 0 }, SocketFlags.None, deadline.Token);
            Assert.Equal(new byte[] { 5, 0 }, await ReceiveExactlyAsync(socket, 2, deadline.Token));
            var name = Encoding.ASCII.GetBytes("localhost");
            byte[] request = [5, 1, 0, 3, (byte)name.Length, .. name, (byte)(echo.Port >> 8), (byte)echo.Port];
            await socket.SendAsync(request, SocketFlags.None, deadline.Token);
            var reply = await ReceiveExactlyAsync(socket, 10, deadline.Token);
            Assert.Equal(0, reply[1]);
            var payload = RandomNumberGenerator.GetBytes(1024 * 1024);
            Assert.Equal(payload, await LocalPorts.RoundTripAsync(socket, payload, deadline.Token));
        }

        // A refused destination is SOCKS reply 5, connection refused.
        using (var socket = await LocalPorts.ConnectAsync(proxyPort, deadline.Token))
        {
            await socket.SendAsync(new byte[] { 5, 1, 0 }, SocketFlags.None, deadline.Token);
            await ReceiveExactlyAsync(socket, 2, deadline.Token);
            byte[] request = [5, 1, 0, 1, 127, 0, 0, 1, (byte)(closed >> 8), (byte)closed];
            await socket.SendAsync(request, SocketFlags.None, deadline.Token);
            Assert.Equal(5, (await ReceiveExactlyAsync(socket, 10, deadline.Token))[1]);
            // Then the proxy closes it (after reporting the refusal).
            try
            {
                Assert.Empty(await LocalPorts.ReadToEndAsync(socket, deadline.Token));
            }
            catch (SocketException ex)
            {
                Assert.Equal(SocketError.ConnectionReset, ex.SocketErrorCode);
            }
        }
        Assert.Contains($"connection refused to 127.0.0.1:{closed}", problems);

        // And a real SOCKS5 client: HttpClient's.
        using var handler = new HttpClientHandler { Proxy = new System.Net.WebProxy($"socks5://127.0.0.1:{proxyPort}"), UseProxy = true };
        using var http = new HttpClient(handler);
        Assert.Equal("via socks\n", await http.GetStringAsync($"http://127.0.0.1:{web.Port}/", deadline.Token));
        stop.Cancel();
        await running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0) throw new EndOfStreamException($"closed after {read} of {count} bytes");
            read += n;
        }
        return buffer;
    }
}

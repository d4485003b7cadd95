using System.Net;
using System.Net.Sockets;
using System.Text;
using Ferry.Client;
using Ferry.Hosting;
using Ferry.Protocol;
using Ferry.Server;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Server;

public class ServerHostTests
{
    [Fact]
    public async Task RestartOnTheSamePortBindsAtOnce()
    {
        await using var first = await TestServer.StartAsync();
        int port = first.EndPoint.Port;
        var client = await first.ConnectAsync();
        await client.EchoAsync("x"u8.ToArray());
        await first.Server.StopAsync();

        var options = new FerryHostOptions();
        options.Server.DataDirectory = first.DataDirectory;
        options.Server.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, port));
        await using var second = FerryHost.Build(options);
        await second.StartAsync(); // no TIME_WAIT trouble
        // Same state folder: same certificate and key, so the first server's client options still fit.
        await using var again = await FerryClient.ConnectAsync(first.ClientOptions());
        Assert.Equal("y"u8.ToArray(), await again.EchoAsync("y"u8.ToArray()));
        await second.StopAsync();
    }

    [Fact]
    public async Task BusyPortIsAnIOException()
    {
        await using var first = await TestServer.StartAsync();
        var options = new FerryHostOptions();
        options.Server.DataDirectory = first.DataDirectory; // not ~/.ferry: building a server creates its key and certificate
        options.Server.Endpoints.Add(first.EndPoint);
        await using var second = FerryHost.Build(options);
        var ex = await Assert.ThrowsAnyAsync<IOException>(() => second.StartAsync());
        Assert.Contains("address already in use", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UnixSocketListenerServesEcho()
    {
        var dir = TempDirectory.Create("ferry-unix");
        var path = Path.Combine(dir, "ferry.sock");
        try
        {
            await using var server = await TestServer.StartAsync(o => o.Server.Endpoints.Add(new UnixDomainSocketEndPoint(path)));
            var options = server.ClientOptions();
            options.Target = FerryTarget.Parse("unix:" + path);
            await using var client = await FerryClient.ConnectAsync(options);
            Assert.Equal("af_unix"u8.ToArray(), await client.EchoAsync("af_unix"u8.ToArray()));
        }
        finally
        {
            TempDirectory.TryDelete(dir);
        }
    }

    [Fact]
    public async Task GracefulShutdownLetsAnInFlightRequestFinish()
    {
        var slow = new SlowService();
        await using var server = await TestServer.StartAsync(build: b => b.AddService(new TestRoutes(r => r.Map("test.slow", slow.HandleAsync))));
        var client = await server.ConnectAsync();
        var request = client.RequestAsync<NotePayload, NotePayload>("test.slow", new NotePayload(), TestJsonContext.Default.NotePayload, TestJsonContext.Default.NotePayload);
        await slow.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var stopping = server.Server.StopAsync();
        // New connections are refused once the listener is unbound.
        await Task.Delay(100);
        Assert.False(stopping.IsCompleted);
        slow.Release.SetResult();
        var response = await request.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("done", response.Payload!.Note);
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<FerryConnectException>(() => FerryClient.ConnectAsync(server.ClientOptions()));
    }

    [Fact]
    public async Task ShutdownAbortsWorkThatOutlivesTheTimeout()
    {
        var slow = new SlowService();
        await using var server = await TestServer.StartAsync(o => o.Server.ShutdownTimeout = TimeSpan.FromMilliseconds(300),
            b => b.AddService(new TestRoutes(r => r.Map("test.slow", slow.HandleAsync))));
        var client = await server.ConnectAsync();
        var request = client.RequestAsync<NotePayload, NotePayload>("test.slow", new NotePayload(), TestJsonContext.Default.NotePayload, TestJsonContext.Default.NotePayload);
        await slow.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await server.Server.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<Exception>(() => request.WaitAsync(TimeSpan.FromSeconds(10)));
        await slow.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task RawTcpEchoAnswersPlainBytes()
    {
        await using var server = await TestServer.StartAsync(o => o.TcpEcho = new IPEndPoint(IPAddress.Loopback, 0));
        var endPoint = (IPEndPoint)server.Server.ExtraEndPoint("tcp-echo")!;
        using var socket = await RawFrames.ConnectAsync(endPoint.Port);
        await using var stream = new NetworkStream(socket);
        var message = Encoding.ASCII.GetBytes("hello from nc\n");
        await stream.WriteAsync(message);
        var reply = new byte[message.Length];
        await stream.ReadExactlyAsync(reply);
        Assert.Equal(message, reply);
    }

    [Fact]
    public async Task RawTcpEchoStillAnswersAfterThePeerHalfCloses()
    {
        await using var server = await TestServer.StartAsync(o => o.TcpEcho = new IPEndPoint(IPAddress.Loopback, 0));
        var endPoint = (IPEndPoint)server.Server.ExtraEndPoint("tcp-echo")!;
        using var socket = await RawFrames.ConnectAsync(endPoint.Port);
        await using var stream = new NetworkStream(socket);
        await socket.SendAsync("last words\n"u8.ToArray());
        socket.Shutdown(SocketShutdown.Send); // what `nc -N` does at end of input
        using var all = new MemoryStream();
        await stream.CopyToAsync(all).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("last words\n"u8.ToArray(), all.ToArray());
    }

    [Fact]
    public async Task NetcatGetsItsEchoOverTcpAndUdp()
    {
        Assert.True(ProcessRunner.Exists("nc"), "nc (netcat-openbsd) is needed for this test; tests/install-peers.sh installs it");
        await using var server = await TestServer.StartAsync(o =>
        {
            o.TcpEcho = new IPEndPoint(IPAddress.Loopback, 0);
            o.UdpEcho = new IPEndPoint(IPAddress.Loopback, 0);
        });
        var tcp = (IPEndPoint)server.Server.ExtraEndPoint("tcp-echo")!;
        var udp = ((Ferry.Datagrams.UdpEchoListener)server.Server.Services.GetService(typeof(Ferry.Datagrams.UdpEchoListener))!).LocalEndPoint;
        var tcpRun = await ProcessRunner.RunAsync("nc", ["-N", "127.0.0.1", tcp.Port.ToString()], TimeSpan.FromSeconds(20), stdin: "hello nc\n");
        Assert.Equal("hello nc\n", tcpRun.StdOut);
        var udpRun = await ProcessRunner.RunAsync("nc", ["-u", "-w", "1", "127.0.0.1", udp.Port.ToString()], TimeSpan.FromSeconds(20), stdin: "hello nc -u\n");
        Assert.Equal("hello nc -u\n", udpRun.StdOut);
    }

    [Fact]
    public async Task UdpEchoAnswersEachDatagramAndRefusesOversizedOnes()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.UdpEcho = new IPEndPoint(IPAddress.Loopback, 0);
            o.UdpEchoMaxDatagram = 100;
        });
        var listener = (Ferry.Datagrams.UdpEchoListener)server.Server.Services.GetService(typeof(Ferry.Datagrams.UdpEchoListener))!;
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        udp.Connect(listener.LocalEndPoint);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        await udp.SendAsync("ping"u8.ToArray(), cts.Token);
        Assert.Equal("ping"u8.ToArray(), (await udp.ReceiveAsync(cts.Token)).Buffer);

        var exactly = new byte[100];
        await udp.SendAsync(exactly, cts.Token);
        Assert.Equal(exactly, (await udp.ReceiveAsync(cts.Token)).Buffer);

        await udp.SendAsync(new byte[101], cts.Token);
        var error = Encoding.UTF8.GetString((await udp.ReceiveAsync(cts.Token)).Buffer);
        Assert.Contains("100-byte limit", error);
    }

    private sealed class SlowService
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask HandleAsync(RequestContext request)
        {
            request.StartBackground(async ct =>
            {
                Started.TrySetResult();
                try
                {
                    await Release.Task.WaitAsync(ct);
                }
                catch (OperationCanceledException)
                {
                    Cancelled.TrySetResult();
                    throw;
                }
                await request.ReplyAsync("test.slow", new NotePayload { Note = "done" }, TestJsonContext.Default.NotePayload, ct);
            });
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task DisposingTheServerDisposesTheServicesItWasGivenAfterItsConnectionsEnd()
    {
        var service = new DisposableService();
        var server = await TestServer.StartAsync(build: b => b.AddService(service));
        service.Port = server.EndPoint.Port;
        var client = await server.ConnectAsync();
        Assert.Equal("up"u8.ToArray(), await client.EchoAsync("up"u8.ToArray()));
        Assert.False(service.Disposed);
        await server.DisposeAsync();
        Assert.True(service.Disposed);
        Assert.True(service.ServerStoppedFirst, "the service was disposed while the host still ran");
    }

    private sealed class DisposableService : IFerryService, IAsyncDisposable
    {
        public int Port { get; set; }

        public bool Disposed { get; private set; }

        public bool ServerStoppedFirst { get; private set; }

        public void MapRoutes(ServiceRoutes routes) => routes.Map("test.bind", context => ValueTask.CompletedTask);

        public async ValueTask DisposeAsync()
        {
            Disposed = true;
            // The host is gone first: its endpoint no longer accepts.
            using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, Port);
            }
            catch (System.Net.Sockets.SocketException)
            {
                ServerStoppedFirst = true;
            }
        }
    }
}

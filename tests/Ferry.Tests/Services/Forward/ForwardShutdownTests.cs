using System.Diagnostics;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Ferry.Tests.Services.Forward;

/// <summary>
/// Forwarding at the server's edges: its audit lines under a category of their own, and a graceful shutdown that ends
/// open streams and listeners at once (telling each client why) instead of waiting out the grace period for them.
/// </summary>
public class ForwardShutdownTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ForwardEventsAreLoggedUnderFerryForwardNotTheServersCategory()
    {
        var log = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(o => o.Forward.Enabled = true,
            b => b.ConfigureLogging(l => l.AddProvider(log).SetMinimumLevel(LogLevel.Information)));
        await using var echo = TcpTarget.Echo();
        var client = await server.ConnectAsync();
        await using (var forward = new ForwardTests.LocalForward(client, "127.0.0.1", echo.Port))
        {
            using var socket = await forward.ConnectAsync();
            using var deadline = new CancellationTokenSource(Deadline);
            Assert.Equal("hi"u8.ToArray(), await LocalPorts.RoundTripAsync(socket, "hi"u8.ToArray(), deadline.Token));
        }
        await using (var listener = await client.ListenRemoteAsync("127.0.0.1", 0))
        {
        }
        await WaitUntilAsync(() => log.Lines.Any(l => l.Contains("Forward ended", StringComparison.Ordinal))
            && log.Lines.Any(l => l.Contains("Forward listener closed", StringComparison.Ordinal)));
        var forwardLines = log.Lines.Where(l => l.Contains("Forward ", StringComparison.Ordinal)).ToList();
        Assert.Contains(forwardLines, l => l.Contains("Forward opened", StringComparison.Ordinal));
        Assert.Contains(forwardLines, l => l.Contains("Forward listener opened", StringComparison.Ordinal));
        Assert.All(forwardLines, l => Assert.StartsWith("Information Ferry.Forward: ", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ShutdownEndsOpenStreamsAndListenersAtOnceTellingTheClientWhy()
    {
        var grace = TimeSpan.FromSeconds(60);
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Forward.Enabled = true;
            o.Server.ShutdownTimeout = grace;
        });
        await using var echo = TcpTarget.Echo();
        var client = await server.ConnectAsync();
        await using var forward = new ForwardTests.LocalForward(client, "127.0.0.1", echo.Port);
        using var socket = await forward.ConnectAsync();
        using var deadline = new CancellationTokenSource(Deadline);
        await socket.SendAsync("x"u8.ToArray(), deadline.Token);
        var one = new byte[1];
        Assert.Equal(1, await socket.ReceiveAsync(one, deadline.Token)); // the stream is up, end to end
        var listener = await client.ListenRemoteAsync("127.0.0.1", 0);
        var accepting = listener.AcceptAsync().AsTask();

        var stopwatch = Stopwatch.StartNew();
        await server.Server.StopAsync().WaitAsync(Deadline);
        stopwatch.Stop();

        // Well inside the grace period: nothing waited for the open stream or the listener.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"shutdown took {stopwatch.Elapsed.TotalSeconds:0.0} s with a stream open");
        var refused = await Assert.ThrowsAsync<FerryException>(() => accepting.WaitAsync(Deadline));
        Assert.Equal(ProtocolError.ShuttingDown, refused.Error);
        await WaitUntilAsync(() => !forward.Problems.IsEmpty);
        Assert.Contains(forward.Problems, p => p.Contains("the server is shutting down", StringComparison.Ordinal));
        // The local program's socket is closed (reset), not left hanging.
        var buffer = new byte[16];
        var reset = await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(async () =>
        {
            while (await socket.ReceiveAsync(buffer, deadline.Token) > 0)
            {
            }
        });
        Assert.Equal(System.Net.Sockets.SocketError.ConnectionReset, reset.SocketErrorCode);
        await listener.DisposeAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (!condition())
        {
            await Task.Delay(20, deadline.Token);
        }
    }
}

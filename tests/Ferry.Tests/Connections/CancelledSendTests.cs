using Ferry.Client;
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
}

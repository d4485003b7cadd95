using System.Net.Sockets;
using System.Text;
using Ferry.Client;
using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Server;

public class EchoEndToEndTests
{
    [Theory]
    [InlineData("hello")]
    [InlineData("")]
    [InlineData("žluťoučký kůň ✓")]
    public async Task EchoRoundTripsText(string text)
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        var reply = await client.EchoAsync(Encoding.UTF8.GetBytes(text));
        Assert.Equal(text, Encoding.UTF8.GetString(reply));
    }

    [Fact]
    public async Task UpperCasesAsciiOnlyAndLeavesOtherBytesAlone()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        var reply = await client.EchoAsync(Encoding.UTF8.GetBytes("hello, žluť z!"), upper: true);
        Assert.Equal("HELLO, žLUť Z!", Encoding.UTF8.GetString(reply));
    }

    [Theory]
    [InlineData(256, false)]
    [InlineData(5 * 1024 * 1024 + 13, false)]
    [InlineData(3 * 1024 * 1024 + 1, true)]
    public async Task EchoIsBinarySafeForLargeMessages(int size, bool upper)
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        var message = new byte[size];
        for (int i = 0; i < size; i++) message[i] = (byte)(i * 7 + (i >> 8));
        var reply = await client.EchoAsync(message, upper);
        var expected = (byte[])message.Clone();
        if (upper) Ferry.Services.Echo.EchoService.UpperAscii(expected);
        Assert.Equal(expected, reply);
    }

    [Fact]
    public async Task ManyConcurrentRequestsOnOneConnectionAreMatchedById()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        var tasks = Enumerable.Range(0, 200).Select(async i =>
        {
            var text = $"message {i} " + new string('x', i * 37);
            var reply = await client.EchoAsync(Encoding.UTF8.GetBytes(text));
            Assert.Equal(text, Encoding.UTF8.GetString(reply));
        });
        await Task.WhenAll(tasks);
    }

    [Fact]
    public async Task UnknownTypeGetsAnErrorAndTheConnectionStaysUsable()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        var ex = await Assert.ThrowsAsync<FerryException>(() => client.RequestAsync<NotePayload, NotePayload>(
            "no.such.thing", new NotePayload(), TestJsonContext.Default.NotePayload, null, new byte[1000]));
        Assert.Equal(ProtocolError.UnknownType, ex.Error);
        Assert.Contains("no.such.thing", ex.Message);
        Assert.Equal("still here"u8.ToArray(), await client.EchoAsync("still here"u8.ToArray()));
    }

    [Fact]
    public async Task RequestBeforeHelloIsRefusedWithAnErrorFrameThenClosed()
    {
        await using var server = await TestServer.StartAsync();
        await using var stream = await server.OpenRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"echo","id":1,"size":2}""", "hi"u8));
        var frame = await RawFrames.ReadFrameAsync(stream);
        Assert.NotNull(frame);
        Assert.Contains("\"code\":\"unauthenticated\"", frame.Value.Header);
        Assert.Null(await RawFrames.ReadFrameAsync(stream));
    }

    [Fact]
    public async Task WrongProtocolVersionIsRefusedClearly()
    {
        await using var server = await TestServer.StartAsync();
        await using var stream = await server.OpenRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"hello","id":1,"version":99}"""));
        var frame = await RawFrames.ReadFrameAsync(stream);
        Assert.Contains("unsupported_version", frame!.Value.Header);
        Assert.Contains("version 1", frame.Value.Header);
    }

    public static TheoryData<byte[], string> HostileInputs => new()
    {
        { [0xff, 0xff, 0xff, 0xff], "bad_header_length" },
        { [0x00, 0x00, 0x10, 0x00], "bad_header_length" },
        { RawFrames.Frame(new byte[] { 0x7b, 0xff, 0xfe, 0x7d }), "invalid_utf8" },
        { RawFrames.Frame("{\"type\":"), "invalid_json" },
        { RawFrames.Frame("[]"), "header_not_object" },
        { RawFrames.Frame("""{"id":2}"""), "missing_type" },
        { RawFrames.Frame("""{"type":"echo","id":2,"size":-5}"""), "bad_size" },
        { RawFrames.Frame("""{"type":"echo","id":2,"size":"7"}"""), "bad_size" },
        { RawFrames.Frame("""{"type":"echo","id":2,"size":7.5}"""), "bad_size" },
    };

    [Theory]
    [MemberData(nameof(HostileInputs))]
    public async Task HostileInputGetsAFinalErrorFrameAndOthersKeepBeingServed(byte[] hostile, string expectedCode)
    {
        await using var server = await TestServer.StartAsync();
        var good = await server.ConnectAsync();

        await using var stream = await server.OpenRawStreamAsync();
        await stream.WriteAsync(RawFrames.Hello);
        var hello = await RawFrames.ReadFrameAsync(stream);
        Assert.Contains("\"type\":\"hello\"", hello!.Value.Header);
        await stream.WriteAsync(hostile);
        var error = await RawFrames.ReadFrameAsync(stream);
        Assert.NotNull(error);
        Assert.Contains($"\"code\":\"{expectedCode}\"", error.Value.Header);
        Assert.Null(await RawFrames.ReadFrameAsync(stream)); // then the server closes

        Assert.Equal("fine"u8.ToArray(), await good.EchoAsync("fine"u8.ToArray()));
        var fresh = await server.ConnectAsync();
        Assert.Equal("new"u8.ToArray(), await fresh.EchoAsync("new"u8.ToArray()));
    }

    [Fact]
    public async Task StreamEndingMidBodyDoesNotDisturbTheServer()
    {
        // Plaintext, so the test can half-close the raw socket.
        await using var server = await TestServer.StartPlaintextAsync();
        using (var socket = await RawFrames.ConnectAsync(server.EndPoint.Port))
        {
            await using var stream = new NetworkStream(socket);
            await stream.WriteAsync(RawFrames.Hello);
            await RawFrames.ReadFrameAsync(stream);
            await stream.WriteAsync(RawFrames.Frame("""{"type":"echo","id":2,"size":1000}""", new byte[10]));
            socket.Shutdown(SocketShutdown.Send);
            // The server may already have started the reply; either way it must close, not hang.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var buffer = new byte[4096];
            try
            {
                while (await stream.ReadAsync(buffer, cts.Token) > 0) { }
            }
            catch (IOException)
            {
                // A reply frame already begun cannot be finished honestly, so the server resets the connection.
            }
        }
        var client = await server.ConnectAsync();
        Assert.Equal("ok"u8.ToArray(), await client.EchoAsync("ok"u8.ToArray()));
    }

    [Fact]
    public async Task OversizedPreAuthHeaderIsRefused()
    {
        await using var server = await TestServer.StartAsync();
        await using var stream = await server.OpenRawStreamAsync();
        var huge = "{\"type\":\"hello\",\"id\":1,\"version\":1,\"pad\":\"" + new string('x', 5000) + "\"}";
        await stream.WriteAsync(RawFrames.Frame(huge));
        var error = await RawFrames.ReadFrameAsync(stream);
        Assert.Contains("bad_header_length", error!.Value.Header);
    }

    [Fact]
    public async Task ClientFailsPendingRequestsWhenTheServerGoesAway()
    {
        var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        await server.DisposeAsync();
        await Assert.ThrowsAnyAsync<IOException>(() => client.EchoAsync("x"u8.ToArray()));
    }
}

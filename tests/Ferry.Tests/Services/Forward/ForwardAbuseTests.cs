using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Forward;

/// <summary>
/// Hostile peers of the forwarding frames, written by hand (RawFrames): every lie is answered with an error frame on
/// its id, the stream it concerns ends, and the connection — with its other streams — keeps serving.
/// </summary>
public class ForwardAbuseTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static async Task<JsonElement> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var frame = await RawFrames.ReadFrameAsync(stream, cancellationToken) ?? throw new EndOfStreamException("the server closed the connection");
        using var doc = JsonDocument.Parse(frame.Header);
        return doc.RootElement.Clone();
    }

    // Reads frames until one on `id` of `type` (data and credit of other streams may come first).
    private static async Task<JsonElement> ExpectAsync(Stream stream, long id, string type, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await ReadAsync(stream, cancellationToken);
            if (frame.GetProperty("id").GetInt64() != id) continue;
            var seen = frame.GetProperty("type").GetString();
            if (seen == type) return frame;
            if (seen is "forward.data" or "forward.credit") continue;
            throw new Xunit.Sdk.XunitException($"expected '{type}' on id {id}, got {frame}");
        }
    }

    private static async Task PingAsync(Stream stream, long id, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"ping","id":{{id}}}"""), cancellationToken);
        await ExpectAsync(stream, id, "pong", cancellationToken);
    }

    private static string Code(JsonElement error) => error.GetProperty("code").GetString()!;

    [Theory]
    [InlineData("""{"type":"forward.open","id":10,"host":"127.0.0.1","port":"80"}""", "bad_request")]
    [InlineData("""{"type":"forward.open","id":10,"host":"127.0.0.1","port":0}""", "bad_request")]
    [InlineData("""{"type":"forward.open","id":10,"host":"127.0.0.1","port":70000}""", "bad_request")]
    [InlineData("""{"type":"forward.open","id":10,"port":80}""", "bad_request")]
    [InlineData("""{"type":"forward.open","id":10,"host":"a b","port":80}""", "bad_request")]
    [InlineData("""{"type":"forward.open","id":10,"host":"127.0.0.1","port":80,"window":10}""", "bad_request")]
    [InlineData("""{"type":"forward.open","id":10,"host":"127.0.0.1","port":80,"window":1e12}""", "bad_request")]
    [InlineData("""{"type":"forward.open","id":10,"host":["x"],"port":80}""", "bad_request")]
    [InlineData("""{"type":"forward.listen","id":10,"bind":"not-an-address","port":0}""", "bad_request")]
    [InlineData("""{"type":"forward.listen","id":10,"port":-1}""", "bad_request")]
    [InlineData("""{"type":"forward.listen","id":10,"bind":"0.0.0.0","port":0}""", "forbidden")]
    [InlineData("""{"type":"forward.accept","id":10,"listen":99,"conn":1}""", "not_found")]
    [InlineData("""{"type":"forward.data","id":10,"size":3}""", "not_found")]
    public async Task ABadRequestIsAnsweredOnItsIdAndTheConnectionServesOn(string header, string code)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await ForwardTests.StartAsync();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync(cancellationToken: deadline.Token);
        var body = header.Contains("\"size\":3", StringComparison.Ordinal) ? "abc"u8.ToArray() : [];
        await stream.WriteAsync(RawFrames.Frame(header, body), deadline.Token);
        var error = await ExpectAsync(stream, 10, "error", deadline.Token);
        Assert.Equal(code, Code(error));
        await PingAsync(stream, 11, deadline.Token);
    }

    [Fact]
    public async Task DataBeyondTheWindowEndsThatStreamOnlyAndTheServerServesOn()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await ForwardTests.StartAsync(o => o.Forward.WindowBytes = 4096);
        await using var echo = TcpTarget.Echo();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync(cancellationToken: deadline.Token);

        // Stream 10 plays by the rules; stream 12 sends 8 KiB into a 4 KiB window.
        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"forward.open","id":10,"host":"127.0.0.1","port":{{echo.Port}}}"""), deadline.Token);
        var ready = await ExpectAsync(stream, 10, "forward.ready", deadline.Token);
        Assert.Equal(4096, ready.GetProperty("window").GetInt32());
        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"forward.open","id":12,"host":"127.0.0.1","port":{{echo.Port}}}"""), deadline.Token);
        await ExpectAsync(stream, 12, "forward.ready", deadline.Token);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"forward.data","id":12,"size":8192}""", new byte[8192]), deadline.Token);
        var error = await ExpectAsync(stream, 12, "error", deadline.Token);
        Assert.Equal("bad_request", Code(error));
        Assert.Contains("past the window", error.GetProperty("message").GetString());

        // Stream 10 still echoes, and its end is clean.
        await stream.WriteAsync(RawFrames.Frame("""{"type":"forward.data","id":10,"size":5}""", "hello"u8), deadline.Token);
        var data = await RawFrames.ReadFrameAsync(stream, deadline.Token);
        while (data is { } frame && !frame.Header.Contains("\"id\":10", StringComparison.Ordinal)) data = await RawFrames.ReadFrameAsync(stream, deadline.Token);
        Assert.Contains("forward.data", data!.Value.Header);
        Assert.Equal("hello", Encoding.ASCII.GetString(data.Value.Body));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"forward.data","id":10,"eof":true}"""), deadline.Token);
        await ExpectAsync(stream, 10, "forward.close", deadline.Token);
        await PingAsync(stream, 13, deadline.Token);
    }

    [Fact]
    public async Task AReusedStreamIdIsRefusedAndTheRunningStreamGoesOn()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await ForwardTests.StartAsync();
        await using var echo = TcpTarget.Echo();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync(cancellationToken: deadline.Token);
        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"forward.open","id":10,"host":"127.0.0.1","port":{{echo.Port}}}"""), deadline.Token);
        await ExpectAsync(stream, 10, "forward.ready", deadline.Token);
        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"forward.open","id":10,"host":"127.0.0.1","port":{{echo.Port}}}"""), deadline.Token);
        var error = await ExpectAsync(stream, 10, "error", deadline.Token);
        Assert.Equal("duplicate_id", Code(error));

        await stream.WriteAsync(RawFrames.Frame("""{"type":"forward.data","id":10,"size":2,"eof":true}""", "ok"u8), deadline.Token);
        var data = await ExpectAsync(stream, 10, "forward.data", deadline.Token);
        Assert.Equal(2, data.GetProperty("size").GetInt64());
        await ExpectAsync(stream, 10, "forward.close", deadline.Token);
        Assert.Equal(1, echo.Accepted);
    }

    [Fact]
    public async Task BadCreditAndDataAfterEofEndTheStreamWithAnError()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await ForwardTests.StartAsync();
        // A destination that stays open after the eof: with one that answers and closes, the stream could end (its
        // forward.close) before the data after the eof arrives, which then meets no stream instead of the eof rule.
        await using var counter = TcpTarget.HoldOpenAfterEof();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync(cancellationToken: deadline.Token);

        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"forward.open","id":10,"host":"127.0.0.1","port":{{counter.Port}}}"""), deadline.Token);
        await ExpectAsync(stream, 10, "forward.ready", deadline.Token);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"forward.credit","id":10,"bytes":-5}"""), deadline.Token);
        Assert.Equal("bad_request", Code(await ExpectAsync(stream, 10, "error", deadline.Token)));

        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"forward.open","id":12,"host":"127.0.0.1","port":{{counter.Port}}}"""), deadline.Token);
        await ExpectAsync(stream, 12, "forward.ready", deadline.Token);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"forward.data","id":12,"eof":true}"""), deadline.Token);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"forward.data","id":12,"size":1}""", "x"u8), deadline.Token);
        var error = await ExpectAsync(stream, 12, "error", deadline.Token);
        Assert.Equal("bad_request", Code(error));
        Assert.Contains("after this stream's eof", error.GetProperty("message").GetString());
        await PingAsync(stream, 13, deadline.Token);
    }

    [Fact]
    public async Task CancelEndsAStreamAndResetsTheDestination()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await ForwardTests.StartAsync();
        await using var echo = TcpTarget.Echo();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync(cancellationToken: deadline.Token);
        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"forward.open","id":10,"host":"127.0.0.1","port":{{echo.Port}}}"""), deadline.Token);
        await ExpectAsync(stream, 10, "forward.ready", deadline.Token);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"cancel","id":10}"""), deadline.Token);
        Assert.Equal("cancelled", Code(await ExpectAsync(stream, 10, "error", deadline.Token)));
        // The id is free again.
        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"forward.open","id":10,"host":"127.0.0.1","port":{{echo.Port}}}"""), deadline.Token);
        await ExpectAsync(stream, 10, "forward.ready", deadline.Token);
    }

    [Fact]
    public async Task ARemoteListenerAnnouncesConnectionsAndADeclineClosesThem()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await using var server = await ForwardTests.StartAsync();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync(cancellationToken: deadline.Token);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"forward.listen","id":10,"port":0}"""), deadline.Token);
        var listening = await ExpectAsync(stream, 10, "forward.listening", deadline.Token);
        Assert.Equal("127.0.0.1", listening.GetProperty("bind").GetString());
        int port = listening.GetProperty("port").GetInt32();

        using var visitor = await LocalPorts.ConnectAsync(port, deadline.Token);
        var incoming = await ExpectAsync(stream, 10, "forward.incoming", deadline.Token);
        long conn = incoming.GetProperty("conn").GetInt64();
        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"forward.decline","id":10,"conn":{{conn}}}"""), deadline.Token);
        Assert.Equal(0, await visitor.ReceiveAsync(new byte[1], SocketFlags.None, deadline.Token));
        // Accepting it now is too late.
        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"forward.accept","id":11,"listen":10,"conn":{{conn}}}"""), deadline.Token);
        Assert.Equal("not_found", Code(await ExpectAsync(stream, 11, "error", deadline.Token)));
        // Data on the listener's id is a lie too: the listener ends with it.
        await stream.WriteAsync(RawFrames.Frame("""{"type":"forward.data","id":10,"size":1}""", "x"u8), deadline.Token);
        Assert.Equal("not_found", Code(await ExpectAsync(stream, 10, "error", deadline.Token)));
        await PingAsync(stream, 12, deadline.Token);
    }
}

using System.Diagnostics;
using System.Text.Json;
using Ferry.Client;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Exec;

namespace Ferry.Tests.Server;

/// <summary>
/// Issue 13, "the protocol document and the server must agree": what docs/protocol.md promises a client written
/// from it alone, checked with hand-made frames over a real socket.
/// </summary>
public class ProtocolAgreementTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("""{"type":"echo","size":2}""")]
    [InlineData("""{"type":"ping"}""")]
    [InlineData("""{"type":"stats","id":0}""")]
    public async Task Issue13_ARequestWithoutAnIdIsAFinalBadIdError(string header)
    {
        await using var server = await TestServer.StartPlaintextAsync();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame(header, "hi"u8[..(header.Contains("size") ? 2 : 0)]));
        var error = await ReadAsync(stream);
        Assert.Equal("error", Type(error));
        Assert.Equal(0, Id(error));
        Assert.Equal("bad_id", error.GetProperty("code").GetString());
        Assert.Null(await RawFrames.ReadFrameAsync(stream).WaitAsync(s_wait)); // final: the server closed
    }

    [Fact]
    public async Task Issue13_AHelloWithoutAnIdIsRefusedTheSameWay()
    {
        await using var server = await TestServer.StartPlaintextAsync();
        await using var stream = await server.OpenRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"hello","version":1}"""));
        var error = await ReadAsync(stream);
        Assert.Equal("bad_id", error.GetProperty("code").GetString());
        Assert.Null(await RawFrames.ReadFrameAsync(stream).WaitAsync(s_wait));
    }

    [Theory]
    [InlineData("""{"type":"hello","id":1}""", "must say which protocol 'version'")]
    [InlineData("""{"type":"hello","id":1,"version":2}""", "version 2 is not supported")]
    public async Task Issue13_AHelloWithoutTheRightVersionGetsAFinalUnsupportedVersionWithId0(string hello, string expected)
    {
        await using var server = await TestServer.StartPlaintextAsync();
        await using var stream = await server.OpenRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame(hello));
        var error = await ReadAsync(stream);
        Assert.Equal("unsupported_version", error.GetProperty("code").GetString());
        Assert.Equal(0, Id(error));
        Assert.Contains(expected, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null(await RawFrames.ReadFrameAsync(stream).WaitAsync(s_wait));
    }

    [Fact]
    public async Task Issue13_ASecondHelloIsABadRequestAndTheConnectionStaysUsable()
    {
        await using var server = await TestServer.StartPlaintextAsync();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"hello","id":4,"version":1}"""));
        var error = await ReadAsync(stream);
        Assert.Equal(("error", 4L, "bad_request"), (Type(error), Id(error), error.GetProperty("code").GetString()));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"ping","id":5}"""));
        var pong = await ReadAsync(stream);
        Assert.Equal(("pong", 5L), (Type(pong), Id(pong)));
    }

    [Fact]
    public async Task Issue13_AnyRequestOnTheIdOfARunningExecGetsDuplicateIdAndTheExecCarriesOn()
    {
        await using var server = await ExecTestServer.StartAsync(configure: null);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        // `cat` runs until its input ends, so id 7 stays open while the other requests arrive.
        await stream.WriteAsync(RawFrames.Frame("""{"type":"exec.start","id":7,"command":"cat","stdin":true}"""));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"echo","id":7,"size":2}""", "hi"u8));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"ping","id":7}"""));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"exec.start","id":7,"command":"true"}"""));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.list","id":7,"path":""}"""));
        for (int i = 0; i < 4; i++)
        {
            var error = await ReadAsync(stream);
            Assert.Equal(("error", 7L, "duplicate_id"), (Type(error), Id(error), error.GetProperty("code").GetString()));
        }
        // Frames that belong to the exchange still reach it.
        await stream.WriteAsync(RawFrames.Frame("""{"type":"exec.stdin","id":7,"size":3,"eof":true}""", "ok\n"u8));
        var output = await RawFrames.ReadFrameAsync(stream).WaitAsync(s_wait);
        Assert.Contains("exec.stdout", output!.Value.Header, StringComparison.Ordinal);
        Assert.Equal("ok\n"u8.ToArray(), output.Value.Body);
        var exit = await ReadAsync(stream);
        Assert.Equal(("exec.exit", 7L), (Type(exit), Id(exit)));
        // Once it has ended, the id is free again.
        await stream.WriteAsync(RawFrames.Frame("""{"type":"ping","id":7}"""));
        Assert.Equal("pong", Type(await ReadAsync(stream)));
    }

    [Fact]
    public async Task Issue13_ARequestOnAChatJoinIdOrAnOpenUploadIdGetsDuplicateId()
    {
        await using var server = await TestServer.StartPlaintextAsync();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"chat.join","id":4,"room":"lobby","nick":"ann"}"""));
        Assert.Equal("ok", Type(await ReadAsync(stream)));
        Assert.Equal("chat.event", Type(await ReadAsync(stream))); // her own join
        await stream.WriteAsync(RawFrames.Frame("""{"type":"chat.say","id":4,"size":2}""", "hi"u8));
        var error = await ReadAsync(stream);
        Assert.Equal(("error", 4L, "duplicate_id"), (Type(error), Id(error), error.GetProperty("code").GetString()));

        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.put","id":5,"path":"a.txt","length":2}"""));
        var ready = await ReadAsync(stream);
        Assert.Equal(("file.ready", 5L), (Type(ready), Id(ready)));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"stats","id":5}"""));
        error = await ReadAsync(stream);
        Assert.Equal(("error", 5L, "duplicate_id"), (Type(error), Id(error), error.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Issue13_AHandshakeThatRunsOutOfTimeIsToldSoBeforeTheClose()
    {
        await using var server = await TestServer.StartPlaintextAsync(o => o.Server.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        await using var stream = await server.OpenRawStreamAsync();
        await stream.WriteAsync(RawFrames.Hello);
        Assert.Equal("hello", Type(await ReadAsync(stream)));
        // ...and never authenticates.
        var error = await ReadAsync(stream);
        Assert.Equal(("error", 0L, "timeout"), (Type(error), Id(error), error.GetProperty("code").GetString()));
        Assert.Null(await RawFrames.ReadFrameAsync(stream).WaitAsync(s_wait));
    }

    [Fact]
    public async Task Issue13_AnIdleConnectionGetsShuttingDownBeforeTheServerClosesIt()
    {
        var server = await TestServer.StartAsync();
        await using (server)
        {
            await using var stream = await server.OpenAuthenticatedRawStreamAsync();
            var stopping = server.Server.StopAsync();
            var error = await ReadAsync(stream);
            Assert.Equal(("error", 0L, "shutting_down"), (Type(error), Id(error), error.GetProperty("code").GetString()));
            Assert.Null(await RawFrames.ReadFrameAsync(stream).WaitAsync(s_wait));
            await stopping.WaitAsync(s_wait);
        }
    }

    [Fact]
    public async Task Issue10_AClientDisposedTwiceClosesAtOnceBothTimes()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        await client.EchoAsync("x"u8.ToArray());
        var clock = Stopwatch.StartNew();
        await client.DisposeAsync().AsTask().WaitAsync(s_wait);
        await client.DisposeAsync().AsTask().WaitAsync(s_wait);
        await Task.WhenAll(client.DisposeAsync().AsTask(), client.DisposeAsync().AsTask()).WaitAsync(s_wait);
        // The write lock's grace period is 5 s: a second disposal that waited it out would show here.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"disposing twice took {clock.Elapsed.TotalMilliseconds:0} ms");
    }

    private static async Task<JsonElement> ReadAsync(Stream stream)
    {
        var frame = await RawFrames.ReadFrameAsync(stream).WaitAsync(s_wait) ?? throw new EndOfStreamException("the server closed instead of answering");
        using var doc = JsonDocument.Parse(frame.Header);
        return doc.RootElement.Clone();
    }

    private static string? Type(JsonElement header) => header.GetProperty("type").GetString();

    private static long Id(JsonElement header) => header.TryGetProperty("id", out var id) ? id.GetInt64() : 0;
}

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
    public async Task Issue13_ExecExitCarriesExitCodeAndTimedOutEvenWhenTheyAreZeroAndFalse()
    {
        await using var server = await ExecTestServer.StartAsync(configure: null);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"exec.start","id":3,"command":"true","stdin":false}"""));
        var exit = await ReadAsync(stream);
        Assert.Equal(("exec.exit", 3L), (Type(exit), Id(exit)));
        Assert.Equal(0, exit.GetProperty("exitCode").GetInt32()); // a client written from §5.3 reads it without a default
        Assert.False(exit.GetProperty("timedOut").GetBoolean());
    }

    [Fact]
    public async Task Issue13_ChatJoinOkCarriesHistoryEvenWhenItIsZeroAndSayCarriesSeq()
    {
        await using var server = await TestServer.StartPlaintextAsync();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"chat.join","id":2,"room":"empty","nick":"ann"}"""));
        var ok = await ReadAsync(stream);
        Assert.Equal(("ok", 2L), (Type(ok), Id(ok)));
        Assert.Equal(0, ok.GetProperty("history").GetInt32());
        Assert.Equal(new[] { "ann" }, ok.GetProperty("members").EnumerateArray().Select(m => m.GetString()!).ToArray());
        var join = await ReadAsync(stream);
        Assert.True(join.GetProperty("time").GetInt64() > 0);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"chat.say","id":3,"size":2}""", "hi"u8));
        // The say's ok and the room's event for it may come in either order.
        var frames = new[] { await ReadAsync(stream), await ReadAsync(stream) };
        var said = Assert.Single(frames, f => Id(f) == 3);
        Assert.Equal(1, said.GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task Issue13_StatsCountsTheExecProcessesRunningAndTheTransfersInProgress()
    {
        await using var server = await ExecTestServer.StartAsync(configure: null);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        var idle = await CountersAsync(stream, 10);
        Assert.Equal((0L, 0L), (idle.GetProperty("exec.processesRunning").GetInt64(), idle.GetProperty("files.transfersInProgress").GetInt64()));

        // `cat` runs until its input ends; an upload is in progress from file.ready until file.done.
        await stream.WriteAsync(RawFrames.Frame("""{"type":"exec.start","id":2,"command":"cat","stdin":true}"""));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.put","id":3,"path":"a.txt","length":2}"""));
        Assert.Equal(("file.ready", 3L), (Type(await ReadAsync(stream)), 3L));
        var busy = await CountersAsync(stream, 11);
        Assert.Equal(1, busy.GetProperty("exec.processesRunning").GetInt64());
        Assert.Equal(1, busy.GetProperty("files.transfersInProgress").GetInt64());

        await stream.WriteAsync(RawFrames.Frame("""{"type":"exec.stdin","id":2,"eof":true}"""));
        Assert.Equal("exec.exit", Type(await ReadAsync(stream)));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.done","id":3,"abort":true}"""));
        Assert.Equal(("ok", 3L), (Type(await ReadAsync(stream)), 3L));
        var done = await CountersAsync(stream, 12);
        Assert.Equal((0L, 0L), (done.GetProperty("exec.processesRunning").GetInt64(), done.GetProperty("files.transfersInProgress").GetInt64()));
    }

    [Fact]
    public async Task Issue13_ADownloadCountsAsATransferInProgressUntilItsDone()
    {
        await using var server = await TestServer.StartPlaintextAsync();
        Directory.CreateDirectory(Path.Combine(server.DataDirectory, "files"));
        // Bigger than the socket buffers, so the download stays open while nobody reads it.
        await File.WriteAllBytesAsync(Path.Combine(server.DataDirectory, "files", "big.bin"), new byte[32 * 1024 * 1024]);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        await using var other = await server.OpenAuthenticatedRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.get","id":2,"path":"big.bin"}"""));
        Assert.Equal("file.ready", Type(await ReadAsync(stream)));
        Assert.Equal(1, (await CountersAsync(other, 5)).GetProperty("files.transfersInProgress").GetInt64());
        while (await RawFrames.ReadFrameAsync(stream).WaitAsync(s_wait) is { } frame && !frame.Header.Contains("file.done", StringComparison.Ordinal))
        {
        }
        // The server's bookkeeping ends just after it hands file.done to the socket.
        using var deadline = new CancellationTokenSource(s_wait);
        while ((await CountersAsync(other, 6)).GetProperty("files.transfersInProgress").GetInt64() != 0)
        {
            await Task.Delay(10, deadline.Token);
        }
    }

    [Fact]
    public async Task Issue13_EveryStatsKeyIsCamelCaseCountersIncluded()
    {
        await using var server = await TestServer.StartPlaintextAsync();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"stats","id":2}"""));
        var stats = await ReadAsync(stream);
        var names = new List<string>();
        void Walk(JsonElement element, bool keysAreTypes)
        {
            if (element.ValueKind != JsonValueKind.Object) return;
            foreach (var property in element.EnumerateObject())
            {
                if (!keysAreTypes) names.Add(property.Name);
                Walk(property.Value, property.Name == "requests"); // requests are keyed by message type (snake-free too)
            }
        }
        Walk(stats, keysAreTypes: false);
        Assert.Contains("exec.processesRunning", names);
        Assert.All(names, name => Assert.Matches(@"^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)*$", name));
    }

    [Fact]
    public async Task Issue13_AHeaderNestedDeeperThan32IsAFinalInvalidJson()
    {
        await using var server = await TestServer.StartPlaintextAsync();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        // The header object itself is depth 1; 32 arrays inside it make 33.
        await stream.WriteAsync(RawFrames.Frame("{\"type\":\"ping\",\"id\":4,\"x\":" + new string('[', 32) + new string(']', 32) + "}"));
        var error = await ReadAsync(stream);
        Assert.Equal(("error", 0L, "invalid_json"), (Type(error), Id(error), error.GetProperty("code").GetString()));
        Assert.Null(await RawFrames.ReadFrameAsync(stream).WaitAsync(s_wait));
    }

    [Fact]
    public async Task Issue13_ADepthOf32IsStillFine()
    {
        await using var server = await TestServer.StartPlaintextAsync();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("{\"type\":\"ping\",\"id\":4,\"x\":" + new string('[', 31) + new string(']', 31) + "}"));
        Assert.Equal(("pong", 4L), (Type(await ReadAsync(stream)), 4L));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // TLS cut without close_notify: the same truncation, told the same way
    public async Task Issue13_AFileDataBodyCutShortIsAFinalTruncatedFrame(bool tls)
    {
        await using var server = tls ? await TestServer.StartAsync() : await TestServer.StartPlaintextAsync();
        System.Net.Sockets.Socket? socket = null;
        await using var stream = await server.OpenAuthenticatedRawStreamAsync(s => socket = s);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.put","id":5,"path":"cut.bin","length":10}"""));
        Assert.Equal("file.ready", Type(await ReadAsync(stream)));
        var frame = RawFrames.Frame("""{"type":"file.data","id":5,"size":10,"offset":0}""", "0123456789"u8);
        await stream.WriteAsync(frame.AsMemory(0, frame.Length - 7)); // 3 of the 10 body bytes
        socket!.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        var error = await ReadAsync(stream);
        Assert.Equal(("error", 0L, "truncated_frame"), (Type(error), Id(error), error.GetProperty("code").GetString()));
        Assert.Null(await RawFrames.ReadFrameAsync(stream).WaitAsync(s_wait));
    }

    [Fact]
    public async Task Issue13_AnEchoBodyCutShortEndsTheConnectionWithoutAnErrorFrame()
    {
        await using var server = await TestServer.StartPlaintextAsync();
        System.Net.Sockets.Socket? socket = null;
        await using var stream = await server.OpenAuthenticatedRawStreamAsync(s => socket = s);
        var frame = RawFrames.Frame("""{"type":"echo","id":5,"size":10}""", "0123456789"u8);
        await stream.WriteAsync(frame.AsMemory(0, frame.Length - 7));
        socket!.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        // The reply streams as the body arrives, so the server is itself inside a frame: it can only close (§2.2).
        // It closes at once (a reset, as the frame it was writing is cut), so read what came until then.
        using var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer).AsTask().WaitAsync(s_wait) is > 0 and var n) received.Write(buffer, 0, n);
        }
        catch (IOException)
        {
            // Connection reset: the close.
        }
        var bytes = received.ToArray();
        Assert.DoesNotContain("truncated_frame", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.True(bytes.Length < frame.Length, "the reply was not cut short");
    }

    [Fact]
    public async Task Issue13_RefusalsUseTheDocumentedCodesInProtocolWords()
    {
        await using var server = await TestServer.StartPlaintextAsync();
        Directory.CreateDirectory(Path.Combine(server.DataDirectory, "files", "full"));
        File.WriteAllText(Path.Combine(server.DataDirectory, "files", "full", "x"), "x");
        File.WriteAllText(Path.Combine(server.DataDirectory, "files", "there.txt"), "x");
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();

        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.remove","id":4,"path":"full"}"""));
        var notEmpty = await ReadAsync(stream);
        Assert.Equal(("error", 4L, "bad_request"), (Type(notEmpty), Id(notEmpty), notEmpty.GetProperty("code").GetString()));
        Assert.Contains("set 'recursive'", notEmpty.GetProperty("message").GetString(), StringComparison.Ordinal);

        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.put","id":5,"path":"there.txt","length":1}"""));
        var exists = await ReadAsync(stream);
        Assert.Equal(("error", 5L, "already_exists"), (Type(exists), Id(exists), exists.GetProperty("code").GetString()));
        Assert.Contains("set 'force'", exists.GetProperty("message").GetString(), StringComparison.Ordinal);

        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.put","id":6,"path":"new.bin","length":4}"""));
        Assert.Equal("file.ready", Type(await ReadAsync(stream)));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.data","id":6,"size":1,"offset":2}""", "x"u8));
        var offset = await ReadAsync(stream);
        Assert.Equal(("error", 6L, "bad_request"), (Type(offset), Id(offset), offset.GetProperty("code").GetString()));

        await stream.WriteAsync(RawFrames.Frame("""{"type":"chat.join","id":7,"room":"here","nick":"ann"}"""));
        Assert.Equal("ok", Type(await ReadAsync(stream)));
        Assert.Equal("chat.event", Type(await ReadAsync(stream)));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"chat.say","id":8,"room":"elsewhere","size":2}""", "hi"u8));
        var wrongRoom = await ReadAsync(stream);
        Assert.Equal(("error", 8L, "not_found"), (Type(wrongRoom), Id(wrongRoom), wrongRoom.GetProperty("code").GetString()));

        foreach (var message in new[] { notEmpty, exists, offset, wrongRoom }.Select(e => e.GetProperty("message").GetString()!))
        {
            Assert.DoesNotMatch(@"--[a-z]|(^|[ (])/[a-z]+|\bferry [a-z]", message); // no CLI flags or chat slash-commands
        }
    }

    private static async Task<JsonElement> CountersAsync(Stream stream, long id)
    {
        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"stats","id":{{id}}}"""));
        var stats = await ReadAsync(stream);
        Assert.Equal(("stats", id), (Type(stats), Id(stats)));
        return stats.GetProperty("counters");
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

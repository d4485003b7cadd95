using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Files;

/// <summary>
/// Issue 14's file-service attacks, each over a real socket against a real server with hand-made frames: a flood of
/// unread downloads, a length that overflows, fields that are null or out of range, and fuzzed request JSON.
/// </summary>
public sealed class FileAbuseTests : IDisposable
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60);
    private readonly string _root = TempDirectory.Create("ferry-abuse-root");

    public void Dispose() => TempDirectory.TryDelete(_root);

    [Fact]
    public async Task Issue14_AFloodOfUnreadDownloadsIsCappedPerConnectionAndRefusedWithBusy()
    {
        // Sized so that even a run where most downloads finish (the reader keeps up) moves at most ~250 MiB: the test is
        // about the cap, not the bytes, and must not outlast its patience on a loaded machine.
        const int requests = 1000;
        var content = new byte[256 * 1024];
        Random.Shared.NextBytes(content);
        await File.WriteAllBytesAsync(Path.Combine(_root, "big.bin"), content);
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        int cap = server.Options.Files.MaxDownloadsPerConnection;
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        using var timeout = new CancellationTokenSource(s_patience);

        // Every request first, none of the answers read: what an attacker that never reads does.
        var batch = new MemoryStream();
        for (int i = 0; i < requests; i++) batch.Write(RawFrames.Frame($$"""{"type":"file.get","id":{{100 + i}},"path":"big.bin"}"""));
        batch.Write(RawFrames.Frame("""{"type":"ping","id":99}"""));
        var sending = stream.WriteAsync(batch.ToArray(), timeout.Token).AsTask();

        // Then read everything. The stream shows the server's order, so downloads announced and not yet finished
        // at any point are the ones streaming at once on the server.
        var streaming = new HashSet<long>();
        int most = 0, busy = 0, finished = 0;
        bool pong = false;
        while (!pong || busy + finished < requests)
        {
            var frame = await RawFrames.ReadFrameAsync(stream, timeout.Token) ?? throw new EndOfStreamException("the server closed the connection");
            using var doc = JsonDocument.Parse(frame.Header);
            var type = doc.RootElement.GetProperty("type").GetString();
            long id = doc.RootElement.GetProperty("id").GetInt64();
            switch (type)
            {
                case "file.ready":
                    streaming.Add(id);
                    most = Math.Max(most, streaming.Count);
                    break;
                case "file.done":
                    Assert.True(streaming.Remove(id));
                    finished++;
                    break;
                case "error":
                    Assert.Equal("busy", doc.RootElement.GetProperty("code").GetString());
                    busy++;
                    break;
                case "pong":
                    pong = true;
                    break;
            }
        }
        await sending;
        Assert.InRange(most, 1, cap);
        Assert.True(busy > 0, "no request was refused");
        Assert.Equal(requests, busy + finished);
        // The same connection serves a new download once the others are read.
        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.get","id":50,"path":"big.bin"}"""), timeout.Token);
        Assert.Equal("file.ready", await NextTypeForAsync(stream, 50, timeout.Token));
    }

    [Fact]
    public async Task Issue14_AFileDataSizeThatOverflowsThePositionIsRefusedAndThePartNeverGrowsPastItsLength()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        using var timeout = new CancellationTokenSource(s_patience);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.put","id":10,"path":"small.bin","length":10,"key":"0123456789abcdef"}"""), timeout.Token);
        Assert.Equal("file.ready", await NextTypeForAsync(stream, 10, timeout.Token));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.data","id":10,"offset":0,"size":1}""", [1]), timeout.Token);
        // 1 + (2^63 - 1) wraps to a negative number: a check written as 'position + size > length' lets it through.
        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"file.data","id":10,"offset":1,"size":{{long.MaxValue}}}"""), timeout.Token);
        await stream.WriteAsync(new byte[64 * 1024], timeout.Token);
        var error = await NextFrameForAsync(stream, 10, timeout.Token);
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("bad_request", error.GetProperty("code").GetString());
        var part = Assert.Single(Directory.GetFiles(_root, "*.part"));
        Assert.InRange(new FileInfo(part).Length, 0, 10);
    }

    public static TheoryData<string> MalformedRequests() => new()
    {
        """{"type":"file.get","id":20,"path":null}""",
        """{"type":"file.remove","id":20,"path":null}""",
        """{"type":"file.mkdir","id":20,"path":null}""",
        """{"type":"file.list","id":20,"path":null}""",
        """{"type":"file.stat","id":20,"path":null}""",
        """{"type":"file.put","id":20,"path":null,"length":1}""",
        $$"""{"type":"file.put","id":20,"path":"m.bin","length":1,"mtime":{{long.MaxValue}}}""",
        $$"""{"type":"file.put","id":20,"path":"m.bin","length":1,"mtime":{{long.MinValue}}}""",
        """{"type":"file.put","id":20,"path":"m.bin","length":-1}""",
        """{"type":"file.put","id":20,"path":"m.bin","length":1,"mode":4096}""",
        """{"type":"file.put","id":20,"path":"m.bin","length":1,"key":"NOT-HEX!"}""",
        """{"type":"file.get","id":20,"path":"x","offset":-5,"prefixSha256":"00"}""",
    };

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public async Task Issue14_EveryBadFieldIsABadRequestNotAnInternalError(string request)
    {
        File.WriteAllText(Path.Combine(_root, "x"), "x");
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        using var timeout = new CancellationTokenSource(s_patience);
        await stream.WriteAsync(RawFrames.Frame(request), timeout.Token);
        var answer = await NextFrameForAsync(stream, 20, timeout.Token);
        Assert.Equal("error", answer.GetProperty("type").GetString());
        Assert.Equal("bad_request", answer.GetProperty("code").GetString());
        Assert.False(File.Exists(Path.Combine(_root, "m.bin")));
    }

    [Fact]
    public async Task FuzzedFileRequestsAreNeverAnInternalErrorAndTheConnectionGoesOn()
    {
        // The served root is a folder inside _root, so "../x" names a real file just outside it. Requests may remove or
        // replace the x inside (they have the right to); the one outside must come through untouched.
        var served = Path.Combine(_root, "served");
        Directory.CreateDirectory(Path.Combine(served, "d"));
        File.WriteAllText(Path.Combine(served, "x"), "x");
        File.WriteAllText(Path.Combine(_root, "x"), "outside");
        await using var server = await TestServer.StartAsync(o => o.Files.Root = served);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var values = Gen.OneOf(
            Gen.Constant("null"), Gen.Constant("true"), Gen.Constant("false"), Gen.Constant("\"\""), Gen.Constant("\".\""),
            Gen.Constant("\"x\""), Gen.Constant("\"d\""), Gen.Constant("\"d/x\""), Gen.Constant("\"../x\""), Gen.Constant("\"0123456789abcdef\""),
            Gen.Constant("[]"), Gen.Constant("{}"), Gen.Constant("1.5"), Gen.Constant("\"\\u0000\""),
            Gen.Elements(0L, 1L, -1L, 511L, 512L, long.MaxValue, long.MinValue, 253402300799999L, 253402300800000L).Select(v => v.ToString()),
            ArbMap.Default.GeneratorFor<string>().Select(s => JsonSerializer.Serialize(s ?? "")));
        var fields = Gen.Elements("path", "length", "mtime", "mode", "force", "resume", "key", "offset", "prefixSha256", "recursive", "parents", "sha256", "abort");
        var types = Gen.Elements("file.put", "file.get", "file.list", "file.stat", "file.remove", "file.mkdir", "file.data", "file.done");
        var requests = from type in types
                       from pairs in Gen.ListOf(Gen.Zip(fields, values))
                       select (type, pairs);
        long id = 1000;
        var internals = new List<string>();
        foreach (var (type, pairs) in requests.Sample(300, 40))
        {
            id++;
            var body = string.Join(",", pairs.DistinctBy(p => p.Item1).Select(p => $"\"{p.Item1}\":{p.Item2}"));
            var json = $$"""{"type":"{{type}}","id":{{id}}{{(body.Length > 0 ? "," + body : "")}}}""";
            await stream.WriteAsync(RawFrames.Frame(json), timeout.Token);
            await stream.WriteAsync(RawFrames.Frame($$"""{"type":"ping","id":{{id + 1_000_000}}}"""), timeout.Token);
            while (true)
            {
                var frame = await RawFrames.ReadFrameAsync(stream, timeout.Token) ?? throw new EndOfStreamException($"the server closed after {json}");
                using var doc = JsonDocument.Parse(frame.Header);
                if (doc.RootElement.TryGetProperty("code", out var code) && code.GetString() == "internal") internals.Add($"{json} -> {frame.Header}");
                if (doc.RootElement.GetProperty("type").GetString() == "pong" && doc.RootElement.GetProperty("id").GetInt64() == id + 1_000_000) break;
            }
        }
        Assert.True(internals.Count == 0, string.Join("\n", internals));
        Assert.Equal("outside", File.ReadAllText(Path.Combine(_root, "x")));
    }

    private static async Task<string?> NextTypeForAsync(Stream stream, long id, CancellationToken cancellationToken) =>
        (await NextFrameForAsync(stream, id, cancellationToken)).GetProperty("type").GetString();

    private static async Task<JsonElement> NextFrameForAsync(Stream stream, long id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await RawFrames.ReadFrameAsync(stream, cancellationToken) ?? throw new EndOfStreamException("the server closed the connection");
            using var doc = JsonDocument.Parse(frame.Header);
            if (doc.RootElement.GetProperty("id").GetInt64() == id) return doc.RootElement.Clone();
        }
    }
}

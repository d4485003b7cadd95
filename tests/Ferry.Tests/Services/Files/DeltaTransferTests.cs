using System.Buffers.Binary;
using System.Text.Json;
using Ferry.Client;
using Ferry.Tests.Infrastructure;
using Ferry.Transfers;

namespace Ferry.Tests.Services.Files;

/// <summary>
/// Delta transfers over real sockets (issue 18): a changed file goes as literals plus block references in both
/// directions and arrives byte for byte; a lying delta is refused with an error frame, the destination untouched.
/// </summary>
public sealed class DeltaTransferTests : IDisposable
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60);
    private readonly string _local = TempDirectory.Create("ferry-delta-local");
    private readonly string _root = TempDirectory.Create("ferry-delta-root");

    public void Dispose()
    {
        TempDirectory.TryDelete(_local);
        TempDirectory.TryDelete(_root);
    }

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static TheoryData<string> Changes => ["insert", "delete", "move", "shrink", "grow"];

    private static byte[] Change(byte[] old, string change) => change switch
    {
        "insert" => [.. old[..2_000_001], .. Random(10_000, 99), .. old[2_000_001..]],
        "delete" => [.. old[..1_500_000], .. old[1_530_000..]],
        "move" => [.. old[3_000_017..], .. old[..3_000_017]],
        "shrink" => old[..2_345_678],
        "grow" => [.. old, .. Random(300_000, 98)],
        _ => throw new ArgumentOutOfRangeException(nameof(change)),
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task UploadOfAChangedFileSendsADeltaAndArrivesByteForByte(string change)
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        var old = Random(4_000_000, 1);
        await File.WriteAllBytesAsync(Path.Combine(_root, "big.bin"), old);
        var changed = Change(old, change);
        var source = Path.Combine(_local, "big.bin");
        await File.WriteAllBytesAsync(source, changed);

        var result = await client.UploadAsync(source, "big.bin", new FileTransferOptions { Force = true, Delta = true });

        Assert.True(result.Delta);
        Assert.Equal(changed, await File.ReadAllBytesAsync(Path.Combine(_root, "big.bin")));
        Assert.True(result.BytesMoved < 400_000, $"{result.BytesMoved} bytes of delta for a {change}");
        Assert.Empty(Directory.GetFiles(_root, "*.part", SearchOption.AllDirectories));
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task DownloadOfAChangedFileReceivesADeltaAndArrivesByteForByte(string change)
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        var old = Random(4_000_000, 2);
        var changed = Change(old, change);
        await File.WriteAllBytesAsync(Path.Combine(_root, "big.bin"), changed);
        var local = Path.Combine(_local, "big.bin");
        await File.WriteAllBytesAsync(local, old);

        var result = await client.DownloadAsync("big.bin", local, new FileTransferOptions { Force = true, Delta = true });

        Assert.True(result.Delta);
        Assert.Equal(changed, await File.ReadAllBytesAsync(local));
        Assert.True(result.BytesMoved < 400_000, $"{result.BytesMoved} bytes of delta for a {change}");
        Assert.Empty(Directory.GetFiles(_local, "*.part"));
    }

    [Fact]
    public async Task SyncSendsChangedBigFilesAsDeltasBothWays()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        var tree = Path.Combine(_local, "tree");
        Directory.CreateDirectory(tree);
        var old = Random(3_000_000, 3);
        await File.WriteAllBytesAsync(Path.Combine(tree, "big.bin"), old);
        await File.WriteAllBytesAsync(Path.Combine(tree, "small.txt"), "small"u8.ToArray());
        await FileSync.RunAsync(client, await FileSync.PlanAsync(client, SyncDirection.Upload, tree, "mirror"));

        var changed = Change(old, "insert");
        await File.WriteAllBytesAsync(Path.Combine(tree, "big.bin"), changed);
        var up = await FileSync.RunAsync(client, await FileSync.PlanAsync(client, SyncDirection.Upload, tree, "mirror"));
        var sent = Assert.Single(up.Sent);
        Assert.True(sent.Delta);
        Assert.Equal(changed, await File.ReadAllBytesAsync(Path.Combine(_root, "mirror", "big.bin")));

        // And back: a local copy holding the old version is brought up to date with a delta.
        var back = Path.Combine(_local, "back");
        Directory.CreateDirectory(back);
        await File.WriteAllBytesAsync(Path.Combine(back, "big.bin"), old);
        var down = await FileSync.RunAsync(client, await FileSync.PlanAsync(client, SyncDirection.Download, back, "mirror"));
        Assert.Contains(down.Sent, r => r.Delta && r.BytesMoved < changed.Length / 10);
        Assert.Equal(changed, await File.ReadAllBytesAsync(Path.Combine(back, "big.bin")));
    }

    // Hostile peers: hand-made frames over a raw socket.

    private static byte[] Copy(int first, int count)
    {
        var op = new byte[9];
        op[0] = 2;
        BinaryPrimitives.WriteInt32LittleEndian(op.AsSpan(1), first);
        BinaryPrimitives.WriteInt32LittleEndian(op.AsSpan(5), count);
        return op;
    }

    private static byte[] Literal(byte[] data, int? declared = null)
    {
        var op = new byte[5 + data.Length];
        op[0] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(op.AsSpan(1), declared ?? data.Length);
        data.CopyTo(op, 5);
        return op;
    }

    public static TheoryData<string> Lies => ["block past the end", "count past the end", "huge numbers", "longer than announced", "literal length lie", "unknown code"];

    [Theory]
    [MemberData(nameof(Lies))]
    public async Task ALyingDeltaUploadIsRefusedAndTheFileIsUntouched(string lie)
    {
        var old = Random(100_000, 4);
        var target = Path.Combine(_root, "victim.bin");
        await File.WriteAllBytesAsync(target, old);
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        using var timeout = new CancellationTokenSource(s_patience);
        const int blockSize = 1024; // 98 blocks (97 full, one of 672)
        byte[] body = lie switch
        {
            "block past the end" => Copy(98, 1),
            "count past the end" => [.. Copy(0, 97), .. Copy(97, 2)],
            "huge numbers" => Copy(int.MaxValue, int.MaxValue),
            "longer than announced" => [.. Copy(0, 98), .. Literal([1, 2, 3])],
            "literal length lie" => Literal([1, 2, 3], declared: 1000),
            _ => [9, 0, 0, 0, 0],
        };
        await stream.WriteAsync(RawFrames.Frame($$$"""{"type":"file.put","id":5,"path":"victim.bin","length":{{{old.Length}}},"force":true,"delta":{"blockSize":{{{blockSize}}},"length":{{{old.Length}}}}}"""), timeout.Token);
        Assert.Equal("file.ready", (await NextForAsync(stream, 5, timeout.Token)).Type);
        await stream.WriteAsync(WithBody("""{"type":"file.data","id":5,"offset":0}""", body), timeout.Token);
        var (type, code, message) = await NextForAsync(stream, 5, timeout.Token);
        Assert.Equal("error", type);
        Assert.Equal("bad_request", code);
        Assert.Contains("delta", message);
        Assert.Equal(old, await File.ReadAllBytesAsync(target));

        // The connection serves on.
        await stream.WriteAsync(RawFrames.Frame("""{"type":"ping","id":6}"""), timeout.Token);
        Assert.Equal("pong", (await NextForAsync(stream, 6, timeout.Token)).Type);
    }

    public static TheoryData<string> BadPuts => ["tiny blocks", "huge blocks", "too many blocks", "basis length lie", "with sha256"];

    [Theory]
    [MemberData(nameof(BadPuts))]
    public async Task ADeltaPutWithAnImpossibleBasisIsRefused(string bad)
    {
        var old = Random(100_000, 5);
        await File.WriteAllBytesAsync(Path.Combine(_root, "victim.bin"), old);
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        using var timeout = new CancellationTokenSource(s_patience);
        string delta = bad switch
        {
            "tiny blocks" => """{"blockSize":1,"length":100000}""",
            "huge blocks" => """{"blockSize":1073741824,"length":100000}""",
            "too many blocks" => """{"blockSize":512,"length":9000000000000}""",
            "basis length lie" => """{"blockSize":1024,"length":100001}""",
            _ => """{"blockSize":1024,"length":100000}""",
        };
        string sha = bad == "with sha256" ? $",\"sha256\":\"{new string('0', 64)}\"" : "";
        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"file.put","id":7,"path":"victim.bin","length":10,"force":true,"delta":{{delta}}{{sha}}}"""), timeout.Token);
        var (type, code, _) = await NextForAsync(stream, 7, timeout.Token);
        Assert.Equal("error", type);
        Assert.Equal("bad_request", code);
        Assert.Equal(old, await File.ReadAllBytesAsync(Path.Combine(_root, "victim.bin")));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"ping","id":8}"""), timeout.Token);
        Assert.Equal("pong", (await NextForAsync(stream, 8, timeout.Token)).Type);
    }

    public static TheoryData<string> BadSignatures => ["none", "cut short", "trailing byte", "block size zero", "block count lie"];

    [Theory]
    [MemberData(nameof(BadSignatures))]
    public async Task ADeltaGetWithAMalformedSignatureIsRefused(string bad)
    {
        await File.WriteAllBytesAsync(Path.Combine(_root, "file.bin"), Random(50_000, 6));
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        using var timeout = new CancellationTokenSource(s_patience);
        var good = new BlockSignature(1024, 3000, [1, 2, 3], new byte[3 * BlockSignature.StrongBytes]).ToArray();
        byte[] body = bad switch
        {
            "none" => [],
            "cut short" => good[..^1],
            "trailing byte" => [.. good, 0],
            "block size zero" => [0, 0, 0, 0, .. good[4..]],
            _ => [.. good[..4], .. BitConverter.GetBytes(30_000L), .. good[12..]],
        };
        await stream.WriteAsync(WithBody("""{"type":"file.get","id":9,"path":"file.bin","delta":true}""", body), timeout.Token);
        var (type, code, _) = await NextForAsync(stream, 9, timeout.Token);
        Assert.Equal("error", type);
        Assert.Equal("bad_request", code);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"ping","id":10}"""), timeout.Token);
        Assert.Equal("pong", (await NextForAsync(stream, 10, timeout.Token)).Type);
    }

    [Fact]
    public async Task FileSigNeedsTheReadRightAndStaysInTheSandbox()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        using var timeout = new CancellationTokenSource(s_patience);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.sig","id":11,"path":"../../etc/passwd"}"""), timeout.Token);
        var (type, code, _) = await NextForAsync(stream, 11, timeout.Token);
        Assert.Equal("error", type);
        Assert.Equal("bad_path", code);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.sig","id":12,"path":"missing.bin"}"""), timeout.Token);
        Assert.Equal("not_found", (await NextForAsync(stream, 12, timeout.Token)).Code);
    }

    // A frame whose header names its body's size.
    private static byte[] WithBody(string header, byte[] body) => RawFrames.Frame(header[..^1] + $",\"size\":{body.Length}}}", body);

    private static async Task<(string Type, string? Code, string Message)> NextForAsync(Stream stream, long id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await RawFrames.ReadFrameAsync(stream, cancellationToken) ?? throw new EndOfStreamException("the server closed the connection");
            using var doc = JsonDocument.Parse(frame.Header);
            var root = doc.RootElement;
            if (!root.TryGetProperty("id", out var got)) throw new InvalidOperationException($"a frame without an id: {frame.Header}");
            if (got.GetInt64() != id) continue;
            string? code = root.TryGetProperty("code", out var c) ? c.GetString() : null;
            string message = root.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";
            return (root.GetProperty("type").GetString()!, code, message);
        }
    }
}

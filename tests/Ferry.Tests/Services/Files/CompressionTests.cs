using System.Text;
using System.Text.Json;
using Ferry.Client;
using Ferry.Tests.Infrastructure;
using Ferry.Transfers;

namespace Ferry.Tests.Services.Files;

/// <summary>
/// Compression on the wire (issue 18, docs/protocol.md §5.4.5) over real sockets: text gets smaller on the wire,
/// random data no larger than 0.5% more, everything arrives byte for byte; a hostile compressed body (bad zstd,
/// a size claim it does not keep, a bomb) is refused with an error frame, the target untouched, the server serving on.
/// </summary>
public sealed class CompressionTests : IDisposable
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60);
    private readonly string _local = TempDirectory.Create("ferry-zstd-local");
    private readonly string _root = TempDirectory.Create("ferry-zstd-root");

    public void Dispose()
    {
        TempDirectory.TryDelete(_local);
        TempDirectory.TryDelete(_root);
    }

    // Lines of words drawn from a small vocabulary: compresses about 3:1, like source code or logs.
    internal static byte[] Text(int length, int seed)
    {
        string[] words = ["ferry", "sync", "tree", "block", "delta", "frame", "socket", "server", "client", "mirror", "river", "boat",
            "harbour", "rope", "deck", "cargo", "tide", "wind", "north", "south", "pier", "lantern", "anchor", "sail"];
        var random = new Random(seed);
        var text = new StringBuilder(length + 100);
        while (text.Length < length)
        {
            for (int i = 0; i < 12; i++) text.Append(words[random.Next(words.Length)]).Append(i == 11 ? '\n' : ' ');
        }
        return Encoding.ASCII.GetBytes(text.ToString(0, length));
    }

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static TheoryData<int> Sizes => [200_000, 5_000_000]; // whole-file put, streamed put

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task TextUploadedWithCompressIsSmallerOnTheWireAndArrivesByteForByte(int size)
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        Assert.Equal(FileCompression.Encodings, client.ServerHello.Compress ?? []);
        var text = Text(size, 1);
        var source = Path.Combine(_local, "notes.txt");
        await File.WriteAllBytesAsync(source, text);

        long before = client.Connection.BytesOut;
        var result = await client.UploadAsync(source, "notes.txt", new FileTransferOptions { Compress = true });
        long wire = client.Connection.BytesOut - before;

        Assert.True(result.Compressed);
        Assert.Equal(text, await File.ReadAllBytesAsync(Path.Combine(_root, "notes.txt")));
        Assert.True(wire < size * 0.45, $"{wire} bytes on the wire for {size} bytes of text");
        Assert.True(result.WireBytes < size * 0.45 && result.WireBytes <= wire, $"reported {result.WireBytes}, measured {wire}");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task TextDownloadedWithCompressIsSmallerOnTheWireAndArrivesByteForByte(int size)
    {
        var text = Text(size, 2);
        await File.WriteAllBytesAsync(Path.Combine(_root, "notes.txt"), text);
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        var local = Path.Combine(_local, "notes.txt");

        long before = client.Connection.BytesIn;
        var result = await client.DownloadAsync("notes.txt", local, new FileTransferOptions { Compress = true });
        long wire = client.Connection.BytesIn - before;

        Assert.True(result.Compressed);
        Assert.Equal(text, await File.ReadAllBytesAsync(local));
        Assert.True(wire < size * 0.45, $"{wire} bytes on the wire for {size} bytes of text");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RandomDataCostsAtMostHalfAPercentMoreOnTheWire(bool upload)
    {
        const int size = 6_000_000;
        var data = Random(size, 3);
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        var local = Path.Combine(_local, "random.bin");
        long wire;
        if (upload)
        {
            await File.WriteAllBytesAsync(local, data);
            long before = client.Connection.BytesOut;
            await client.UploadAsync(local, "random.bin", new FileTransferOptions { Compress = true });
            wire = client.Connection.BytesOut - before;
            Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(_root, "random.bin")));
        }
        else
        {
            await File.WriteAllBytesAsync(Path.Combine(_root, "random.bin"), data);
            long before = client.Connection.BytesIn;
            await client.DownloadAsync("random.bin", local, new FileTransferOptions { Compress = true });
            wire = client.Connection.BytesIn - before;
            Assert.Equal(data, await File.ReadAllBytesAsync(local));
        }
        Assert.True(wire <= size * 1.005, $"{wire} bytes on the wire for {size} random bytes");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ADeltaOfChangedTextGoesCompressedAndArrivesByteForByte(bool upload)
    {
        var old = Text(4_000_000, 4);
        var changed = (byte[])old.Clone();
        Text(300_000, 5).CopyTo(changed, 2_000_000); // 300 kB of new text in the middle
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        var local = Path.Combine(_local, "book.txt");
        var remote = Path.Combine(_root, "book.txt");
        await File.WriteAllBytesAsync(local, upload ? changed : old);
        await File.WriteAllBytesAsync(remote, upload ? old : changed);
        var options = new FileTransferOptions { Force = true, Delta = true, Compress = true };

        var result = upload ? await client.UploadAsync(local, "book.txt", options) : await client.DownloadAsync("book.txt", local, options);

        Assert.True(result.Delta);
        Assert.True(result.Compressed);
        Assert.Equal(changed, await File.ReadAllBytesAsync(upload ? remote : local));
        // The literal 300 kB of text (plus a block either side) compress to well under half.
        Assert.True(result.BytesMoved < 200_000, $"{result.BytesMoved} bytes of compressed delta");
    }

    [Fact]
    public async Task WithoutCompressNothingIsCompressed()
    {
        var text = Text(3_000_000, 6);
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        var source = Path.Combine(_local, "plain.txt");
        await File.WriteAllBytesAsync(source, text);
        long before = client.Connection.BytesOut;
        var result = await client.UploadAsync(source, "plain.txt");
        Assert.False(result.Compressed);
        Assert.True(client.Connection.BytesOut - before >= text.Length);
    }

    // Hostile peers: hand-made frames over a raw socket.

    private static byte[] Zstd(byte[] data)
    {
        using var zstd = new ZstdSharp.Compressor(3);
        return zstd.Wrap(data).ToArray();
    }

    public static TheoryData<string> Lies => ["bad zstd", "claims more than it holds", "decompresses beyond its claim", "bomb", "claim over the frame limit",
        "claim zero", "past the announced length", "not agreed"];

    [Theory]
    [MemberData(nameof(Lies))]
    public async Task AHostileCompressedBodyIsRefusedAndTheFileIsUntouched(string lie)
    {
        var old = Random(10_000, 7);
        var target = Path.Combine(_root, "victim.txt");
        await File.WriteAllBytesAsync(target, old);
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        using var timeout = new CancellationTokenSource(s_patience);
        var text = Text(100_000, 8);
        var packed = Zstd(text);
        (byte[] Body, long Claim) frame = lie switch
        {
            "bad zstd" => ([.. packed[..8], .. Random(500, 9)], text.Length),
            "claims more than it holds" => (packed, text.Length + 10),
            "decompresses beyond its claim" => (packed, 1000),
            "bomb" => (Zstd(new byte[64 * 1024 * 1024]), 1024 * 1024),
            "claim over the frame limit" => (packed, 64L * 1024 * 1024),
            "claim zero" => (packed, 0),
            "past the announced length" => (packed, text.Length),
            _ => (packed, text.Length),
        };
        long length = lie == "past the announced length" ? 50_000 : 200_000;
        string compress = lie == "not agreed" ? "" : ",\"compress\":\"zstd\"";
        await stream.WriteAsync(RawFrames.Frame($$"""{"type":"file.put","id":5,"path":"victim.txt","length":{{length}},"force":true{{compress}}}"""), timeout.Token);
        var ready = await NextForAsync(stream, 5, timeout.Token);
        Assert.Equal("file.ready", ready.Type);
        Assert.Equal(lie == "not agreed" ? null : "zstd", ready.Compress);
        await stream.WriteAsync(WithBody($$"""{"type":"file.data","id":5,"offset":0,"zstd":{{frame.Claim}}}""", frame.Body), timeout.Token);
        var answer = await NextForAsync(stream, 5, timeout.Token);
        Assert.Equal("error", answer.Type);
        Assert.Equal("bad_request", answer.Code);
        Assert.Equal(old, await File.ReadAllBytesAsync(target));

        // The connection serves on.
        await stream.WriteAsync(RawFrames.Frame("""{"type":"ping","id":6}"""), timeout.Token);
        Assert.Equal("pong", (await NextForAsync(stream, 6, timeout.Token)).Type);
    }

    public static TheoryData<string> WholeLies => ["bad zstd", "decompresses beyond its claim", "bomb", "claim is not the length", "hash of the compressed bytes"];

    [Theory]
    [MemberData(nameof(WholeLies))]
    public async Task AHostileCompressedWholeFilePutIsRefusedAndNothingIsWritten(string lie)
    {
        var old = Random(10_000, 10);
        var target = Path.Combine(_root, "victim.txt");
        await File.WriteAllBytesAsync(target, old);
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        using var timeout = new CancellationTokenSource(s_patience);
        var text = Text(100_000, 11);
        var packed = Zstd(text);
        string sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(lie == "hash of the compressed bytes" ? packed : text));
        (byte[] Body, long Length, long Claim) put = lie switch
        {
            "bad zstd" => ([.. packed[..8], .. Random(500, 12)], text.Length, text.Length),
            "decompresses beyond its claim" => (packed, 1000, 1000),
            "bomb" => (Zstd(new byte[64 * 1024 * 1024]), 1024 * 1024, 1024 * 1024),
            "claim is not the length" => (packed, text.Length, text.Length - 1),
            _ => (packed, text.Length, text.Length),
        };
        await stream.WriteAsync(WithBody($$"""{"type":"file.put","id":7,"path":"victim.txt","length":{{put.Length}},"force":true,"sha256":"{{sha}}","zstd":{{put.Claim}}}""", put.Body), timeout.Token);
        var answer = await NextForAsync(stream, 7, timeout.Token);
        Assert.Equal("error", answer.Type);
        Assert.Equal(lie == "hash of the compressed bytes" ? "hash_mismatch" : "bad_request", answer.Code);
        Assert.Equal(old, await File.ReadAllBytesAsync(target));
        Assert.Empty(Directory.GetFiles(_root, "*.part", SearchOption.AllDirectories));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"ping","id":8}"""), timeout.Token);
        Assert.Equal("pong", (await NextForAsync(stream, 8, timeout.Token)).Type);
    }

    [Fact]
    public async Task AGetThatDoesNotAskIsNeverCompressedAndOneThatAsksIsAnsweredSo()
    {
        await File.WriteAllBytesAsync(Path.Combine(_root, "notes.txt"), Text(300_000, 13));
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        using var timeout = new CancellationTokenSource(s_patience);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.get","id":3,"path":"notes.txt"}"""), timeout.Token);
        var plain = await NextForAsync(stream, 3, timeout.Token);
        Assert.Null(plain.Compress);
        var data = await NextForAsync(stream, 3, timeout.Token);
        Assert.Equal("file.data", data.Type);
        Assert.Null(data.Zstd);
        Assert.Equal("file.done", (await NextForAsync(stream, 3, timeout.Token)).Type);

        // An encoding the server does not know is no ask at all: the data goes plain.
        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.get","id":4,"path":"notes.txt","compress":"brotli"}"""), timeout.Token);
        Assert.Null((await NextForAsync(stream, 4, timeout.Token)).Compress);
        Assert.Null((await NextForAsync(stream, 4, timeout.Token)).Zstd);
        Assert.Equal("file.done", (await NextForAsync(stream, 4, timeout.Token)).Type);

        await stream.WriteAsync(RawFrames.Frame("""{"type":"file.get","id":5,"path":"notes.txt","compress":"zstd"}"""), timeout.Token);
        Assert.Equal("zstd", (await NextForAsync(stream, 5, timeout.Token)).Compress);
        Assert.Equal(300_000, (await NextForAsync(stream, 5, timeout.Token)).Zstd);
    }

    // A frame whose header names its body's size.
    private static byte[] WithBody(string header, byte[] body) => RawFrames.Frame(header[..^1] + $",\"size\":{body.Length}}}", body);

    private sealed record Answer(string Type, string? Code, string Message, string? Compress, long? Zstd);

    private static async Task<Answer> NextForAsync(Stream stream, long id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await RawFrames.ReadFrameAsync(stream, cancellationToken) ?? throw new EndOfStreamException("the server closed the connection");
            using var doc = JsonDocument.Parse(frame.Header);
            var root = doc.RootElement;
            if (!root.TryGetProperty("id", out var got)) throw new InvalidOperationException($"a frame without an id: {frame.Header}");
            if (got.GetInt64() != id) continue;
            return new Answer(root.GetProperty("type").GetString()!,
                root.TryGetProperty("code", out var c) ? c.GetString() : null,
                root.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "",
                root.TryGetProperty("compress", out var z) ? z.GetString() : null,
                root.TryGetProperty("zstd", out var n) ? n.GetInt64() : null);
        }
    }
}

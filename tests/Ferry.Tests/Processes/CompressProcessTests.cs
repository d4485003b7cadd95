using System.Text.Json;
using Ferry.Client;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Files;

namespace Ferry.Tests.Processes;

/// <summary>
/// <c>-z</c> / <c>--compress</c> as a user runs it (issue 18): the real program against a real server, text trees
/// and files through put, get and sync both ways, the bytes on the wire counted by the server, everything compared
/// by hash afterwards.
/// </summary>
public sealed class CompressProcessTests : IDisposable
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(120);
    private readonly string _scratch = TempDirectory.Create("ferry-zstd-proc");

    public void Dispose() => TempDirectory.TryDelete(_scratch);

    private string Dir(string name) => Directory.CreateDirectory(Path.Combine(_scratch, name)).FullName;

    private static string Remote(TestServer server, string path) => $"127.0.0.1:{server.EndPoint.Port}:{path}";

    // A tree of text: small files (whole-file puts) and one large enough to stream.
    private static long WriteTextTree(string top)
    {
        long total = 0;
        for (int i = 0; i < 40; i++)
        {
            var text = CompressionTests.Text(20_000 + 997 * i, i);
            var path = Path.Combine(top, $"d{i % 4}", $"t{i:00}.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, text);
            total += text.Length;
        }
        var big = CompressionTests.Text(3_000_000, 99);
        File.WriteAllBytes(Path.Combine(top, "big.txt"), big);
        return total + big.Length;
    }

    private static async Task<long> WireBytesAsync(TestServer server)
    {
        await using var client = await server.ConnectAsync();
        var stats = await client.GetStatsAsync();
        return stats.BytesIn + stats.BytesOut;
    }

    [Fact]
    public async Task SyncWithCompressMovesATextTreeInUnderHalfItsBytesBothWays()
    {
        var root = Dir("root");
        var src = Dir("src");
        long size = WriteTextTree(src);
        await using var server = await TestServer.StartAsync(o => o.Files.Root = root);
        var home = Dir("home");

        long before = await WireBytesAsync(server);
        var up = await CliBinary.RunAsync(["sync", "-z", src, Remote(server, "m"), "--json", .. server.ClientArgs, "--accept-new"], home, s_deadline);
        Assert.True(up.ExitCode == 0, up.StdErr);
        long upWire = await WireBytesAsync(server) - before;
        Assert.Equal(FileTestData.TreeHashes(src), FileTestData.TreeHashes(Path.Combine(root, "m")));
        Assert.True(upWire < size * 0.5, $"sync -z up: {upWire} bytes on the wire for {size} bytes of text");
        using (var report = JsonDocument.Parse(up.StdOut))
        {
            long wire = report.RootElement.GetProperty("wireBytes").GetInt64();
            Assert.True(wire < size * 0.5 && wire <= upWire, $"the report says {wire} bytes went on the wire, the server counted {upWire}");
            Assert.All(report.RootElement.GetProperty("sent").EnumerateArray(), f => Assert.True(f.GetProperty("compressed").GetBoolean()));
        }

        var back = Dir("back");
        before = await WireBytesAsync(server);
        var down = await CliBinary.RunAsync(["sync", "--compress", Remote(server, "m"), back, .. server.ClientArgs, "--accept-new"], home, s_deadline);
        Assert.True(down.ExitCode == 0, down.StdErr);
        long downWire = await WireBytesAsync(server) - before;
        Assert.Equal(FileTestData.TreeHashes(src), FileTestData.TreeHashes(back));
        Assert.True(downWire < size * 0.5, $"sync -z down: {downWire} bytes on the wire for {size} bytes of text");
        Assert.Contains("compressed", down.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutAndGetWithZRoundTripATextTreeAndAFileByteForByte()
    {
        var root = Dir("root");
        var src = Dir("src");
        long size = WriteTextTree(src);
        await using var server = await TestServer.StartAsync(o => o.Files.Root = root);
        var home = Dir("home");

        long before = await WireBytesAsync(server);
        var put = await CliBinary.RunAsync(["put", "127.0.0.1:" + server.EndPoint.Port, src, "-r", "-z", "--to", "up", .. server.ClientArgs, "--accept-new"], home, s_deadline);
        Assert.True(put.ExitCode == 0, put.StdErr);
        long putWire = await WireBytesAsync(server) - before;
        Assert.Equal(FileTestData.TreeHashes(src), FileTestData.TreeHashes(Path.Combine(root, "up", Path.GetFileName(src))));
        Assert.True(putWire < size * 0.5, $"put -r -z: {putWire} bytes on the wire for {size} bytes of text");

        var back = Dir("back");
        before = await WireBytesAsync(server);
        var get = await CliBinary.RunAsync(["get", "127.0.0.1:" + server.EndPoint.Port, "up/src/big.txt", "-z", "--to", back + "/", "--json", .. server.ClientArgs, "--accept-new"], home, s_deadline);
        Assert.True(get.ExitCode == 0, get.StdErr);
        long getWire = await WireBytesAsync(server) - before;
        Assert.Equal(FileTestData.Sha256(Path.Combine(src, "big.txt")), FileTestData.Sha256(Path.Combine(back, "big.txt")));
        Assert.True(getWire < 3_000_000 * 0.5, $"get -z: {getWire} bytes on the wire for 3,000,000 bytes of text");
    }
}

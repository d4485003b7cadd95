using Ferry.Client;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Files;

// The flat-memory test reads the whole process's managed heap, which every test running beside it moves too (once
// 110 MiB under a full parallel run): this class runs on its own, after the parallel ones.
[Collection(AloneCollection.Name)]
public sealed class FileTransferTests : IDisposable
{
    private readonly string _local = TempDirectory.Create("ferry-files-local");
    private readonly string _root = TempDirectory.Create("ferry-files-root");

    public void Dispose()
    {
        TempDirectory.TryDelete(_local);
        TempDirectory.TryDelete(_root);
    }

    private Task<TestServer> StartAsync() => TestServer.StartAsync(o => o.Files.Root = _root);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4093)]
    [InlineData(3 * 1024 * 1024 + 7)]
    public async Task UploadAndDownloadRoundTripByteForByte(long size)
    {
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        var source = FileTestData.Create(_local, "source.bin", size, seed: (int)size);
        var expected = FileTestData.Sha256(source);

        var up = await client.UploadAsync(source, "dir/copy.bin");
        Assert.Equal(expected, up.Sha256);
        Assert.Equal(expected, FileTestData.Sha256(Path.Combine(_root, "dir", "copy.bin")));

        var back = Path.Combine(_local, "back.bin");
        var down = await client.DownloadAsync("dir/copy.bin", back);
        Assert.Equal(expected, down.Sha256);
        Assert.Equal(expected, FileTestData.Sha256(back));
        Assert.Empty(Directory.GetFiles(_root, "*.part", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(_local, "*.part"));
    }

    [Fact]
    public async Task LargeFileRoundTripsWithFlatServerMemory()
    {
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        const long size = 256L * 1024 * 1024 + 3;
        var source = FileTestData.Create(_local, "big.bin", size, seed: 11);
        var expected = FileTestData.Sha256(source);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        var progressCalls = 0;
        var up = await client.UploadAsync(source, "big.bin", new FileTransferOptions
        {
            Progress = p =>
            {
                progressCalls++;
                if (progressCalls % 32 == 0) peak = Math.Max(peak, GC.GetTotalMemory(false));
            },
        });
        Assert.Equal(expected, up.Sha256);
        Assert.True(progressCalls > 100, $"progress was reported {progressCalls} times");
        File.Delete(source);
        var back = Path.Combine(_local, "big-back.bin");
        var down = await client.DownloadAsync("big.bin", back);
        Assert.Equal(expected, FileTestData.Sha256(back));
        Assert.Equal(size, down.Size);
        // Client and server share this process: a file held in memory would show as ~256 MiB here.
        Assert.True(peak - before < 96L * 1024 * 1024, $"managed memory grew by {(peak - before) / 1048576} MiB during the upload");
    }

    [Fact]
    public async Task MetadataIsKept()
    {
        if (OperatingSystem.IsWindows()) return; // Unix permission bits only; mtime is covered by the Unix run in CI.
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        var source = FileTestData.Create(_local, "script.sh", 100, seed: 1);
        var mtime = new DateTime(2020, 5, 17, 10, 30, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(source, mtime);
        File.SetUnixFileMode(source, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead);
        await client.UploadAsync(source, "script.sh");
        var remote = Path.Combine(_root, "script.sh");
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(remote));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead, File.GetUnixFileMode(remote));
        var back = Path.Combine(_local, "back.sh");
        await client.DownloadAsync("script.sh", back);
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(back));
        Assert.Equal(File.GetUnixFileMode(remote), File.GetUnixFileMode(back));
    }

    [Fact]
    public async Task NoOverwriteWithoutForce()
    {
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        var first = FileTestData.Create(_local, "a.bin", 1000, seed: 1);
        var second = FileTestData.Create(_local, "b.bin", 2000, seed: 2);
        await client.UploadAsync(first, "same.bin");
        var refused = await Assert.ThrowsAsync<FerryException>(() => client.UploadAsync(second, "same.bin"));
        Assert.Equal(ProtocolError.AlreadyExists, refused.Error);
        Assert.Contains("set 'force'", refused.Message, StringComparison.Ordinal); // protocol words: library users read it too
        Assert.Equal(FileTestData.Sha256(first), FileTestData.Sha256(Path.Combine(_root, "same.bin")));
        Assert.Empty(Directory.GetFiles(_root, "*.part"));

        await client.UploadAsync(second, "same.bin", new FileTransferOptions { Force = true });
        Assert.Equal(FileTestData.Sha256(second), FileTestData.Sha256(Path.Combine(_root, "same.bin")));

        // Downloads too: an existing local file stays unless forced.
        var local = FileTestData.Create(_local, "local.bin", 10, seed: 3);
        var localRefused = await Assert.ThrowsAsync<FerryException>(() => client.DownloadAsync("same.bin", local));
        Assert.Equal(ProtocolError.AlreadyExists, localRefused.Error);
        Assert.Equal(10, new FileInfo(local).Length);
        await client.DownloadAsync("same.bin", local, new FileTransferOptions { Force = true });
        Assert.Equal(FileTestData.Sha256(second), FileTestData.Sha256(local));
        // The connection is still fine after the refusals.
        Assert.Equal("ok"u8.ToArray(), await client.EchoAsync("ok"u8.ToArray()));
    }

    [Fact]
    public async Task SeveralFilesInParallelOverOneConnection()
    {
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        var sources = Enumerable.Range(0, 6).Select(i => FileTestData.Create(_local, $"f{i}.bin", 700_000 + i * 313_131, seed: 100 + i)).ToArray();
        await Task.WhenAll(sources.Select((s, i) => client.UploadAsync(s, $"many/f{i}.bin")));
        await Task.WhenAll(sources.Select((s, i) => client.DownloadAsync($"many/f{i}.bin", Path.Combine(_local, "back", $"f{i}.bin"))));
        for (int i = 0; i < sources.Length; i++)
        {
            Assert.Equal(FileTestData.Sha256(sources[i]), FileTestData.Sha256(Path.Combine(_local, "back", $"f{i}.bin")));
        }
    }

    [Fact]
    public async Task TwoClientsUploadingOneNameNeverMix()
    {
        await using var server = await StartAsync();
        var a = FileTestData.Create(_local, "a.bin", 6 * 1024 * 1024 + 1, seed: 1);
        var b = FileTestData.Create(_local, "b.bin", 6 * 1024 * 1024 + 1, seed: 2);
        var hashes = new[] { FileTestData.Sha256(a), FileTestData.Sha256(b) };
        for (int round = 0; round < 3; round++)
        {
            var clientA = await server.ConnectAsync();
            var clientB = await server.ConnectAsync();
            var options = new FileTransferOptions { Force = true };
            await Task.WhenAll(clientA.UploadAsync(a, "contested.bin", options), clientB.UploadAsync(b, "contested.bin", options));
            Assert.Contains(FileTestData.Sha256(Path.Combine(_root, "contested.bin")), hashes);
            Assert.Empty(Directory.GetFiles(_root, "*.part"));
        }
        // Without --force the loser is refused and the winner's file stays whole.
        File.Delete(Path.Combine(_root, "contested.bin"));
        var c1 = await server.ConnectAsync();
        var c2 = await server.ConnectAsync();
        var results = await Task.WhenAll(
            Record(() => c1.UploadAsync(a, "contested.bin")),
            Record(() => c2.UploadAsync(b, "contested.bin")));
        Assert.Contains(results, r => r is null);
        Assert.Contains(FileTestData.Sha256(Path.Combine(_root, "contested.bin")), hashes);
        Assert.All(results.Where(r => r is not null), r => Assert.Equal(ProtocolError.AlreadyExists, r!.Error));
    }

    private static async Task<FerryException?> Record(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (FerryException ex)
        {
            return ex;
        }
    }

    [Fact]
    public async Task ListStatRemoveAndMkdir()
    {
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        await client.MakeDirectoryAsync("a/b/c", parents: true);
        var missingParent = await Assert.ThrowsAsync<FerryException>(() => client.MakeDirectoryAsync("x/y"));
        Assert.Equal(ProtocolError.NotFound, missingParent.Error);
        var exists = await Assert.ThrowsAsync<FerryException>(() => client.MakeDirectoryAsync("a"));
        Assert.Equal(ProtocolError.AlreadyExists, exists.Error);
        await client.UploadAsync(FileTestData.Create(_local, "f.txt", 42, seed: 5), "a/b/f.txt");

        var top = await client.ListAsync("a");
        Assert.Equal(["b"], top.Select(e => e.Name));
        Assert.Equal("dir", top[0].Kind);
        var all = await client.ListAsync("", recursive: true);
        Assert.Equal(["a", "a/b", "a/b/c", "a/b/f.txt"], all.Select(e => e.Name).Order(StringComparer.Ordinal));
        var stat = await client.StatAsync("a/b/f.txt");
        Assert.Equal(("f.txt", "file", 42L), (stat.Name, stat.Kind, stat.Length));

        var notEmpty = await Assert.ThrowsAsync<FerryException>(() => client.RemoveAsync("a"));
        Assert.Contains("set 'recursive'", notEmpty.Message, StringComparison.Ordinal); // protocol words (the CLI says -r)
        await client.RemoveAsync("a/b/f.txt");
        var gone = await Assert.ThrowsAsync<FerryException>(() => client.StatAsync("a/b/f.txt"));
        Assert.Equal(ProtocolError.NotFound, gone.Error);
        await client.RemoveAsync("a", recursive: true);
        Assert.Empty(await client.ListAsync());
        var missing = await Assert.ThrowsAsync<FerryException>(() => client.DownloadAsync("nope.txt", Path.Combine(_local, "nope.txt")));
        Assert.Equal(ProtocolError.NotFound, missing.Error);
        Assert.False(File.Exists(Path.Combine(_local, "nope.txt.part")));
    }
}

using System.Security.Cryptography;
using System.Text;
using Ferry.Client;
using Ferry.Contracts.Files;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Files;

/// <summary>
/// Trees through a real server (port 0, real sockets): pipelined whole-file uploads, the window against a server
/// whose cap is lower, and <see cref="FileSync"/> both ways — compared by hash, file by file.
/// </summary>
public sealed class TreeSyncTests : IDisposable
{
    private readonly string _local = TempDirectory.Create("ferry-tree-local");
    private readonly string _back = TempDirectory.Create("ferry-tree-back");
    private readonly string _root = TempDirectory.Create("ferry-tree-root");

    public void Dispose()
    {
        TempDirectory.TryDelete(_local);
        TempDirectory.TryDelete(_back);
        TempDirectory.TryDelete(_root);
    }

    private Task<TestServer> StartAsync(Action<Ferry.Hosting.FerryHostOptions>? more = null) => TestServer.StartAsync(o =>
    {
        o.Files.Root = _root;
        more?.Invoke(o);
    });

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task ATreeWithEmptyFilesEmptyFoldersDeepNestingAndUnicodeNamesRoundTripsByHash()
    {
        var deep = string.Join('/', Enumerable.Range(0, 30).Select(i => $"d{i}"));
        FileTestData.Create(_local, "empty.txt", 0, 1);
        FileTestData.Create(_local, Path.Combine([.. deep.Split('/'), "empty"]), 0, 1);
        FileTestData.Create(_local, Path.Combine([.. deep.Split('/'), "leaf.bin"]), 5000, 2);
        FileTestData.Create(_local, "naïve café/日本語 ファイル.txt", 77, 3);
        FileTestData.Create(_local, "emoji 🚀/ok.bin", 2 * 1024 * 1024 + 5, 4); // streamed, not whole
        Directory.CreateDirectory(Path.Combine(_local, "empty folder", "inner empty"));
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();

        var plan = await FileSync.PlanAsync(client, SyncDirection.Upload, _local, "up");
        var up = await FileSync.RunAsync(client, plan);
        Assert.Equal(5, up.Sent.Count);
        Assert.Equal(FileTestData.TreeHashes(_local), FileTestData.TreeHashes(Path.Combine(_root, "up")));
        Assert.True(Directory.Exists(Path.Combine(_root, "up", "empty folder", "inner empty")));

        var down = await FileSync.RunAsync(client, await FileSync.PlanAsync(client, SyncDirection.Download, _back, "up"));
        Assert.Equal(5, down.Sent.Count);
        Assert.Equal(FileTestData.Snapshot(_local), FileTestData.Snapshot(_back));
        Assert.Equal(FileTestData.TreeHashes(_local), FileTestData.TreeHashes(_back));
        Assert.Empty(Directory.GetFiles(_root, "*.part", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(_back, "*.part", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task TenThousandSmallFilesGoUpAndComeBackIdenticalAndAResyncSendsNothing()
    {
        for (int i = 0; i < 10_000; i++)
        {
            var dir = Path.Combine(_local, $"d{i % 100:00}");
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, $"f{i:00000}"), RandomNumberGenerator.GetBytes(i % 7 == 0 ? 0 : 64 + i % 300));
        }
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();

        var up = await FileSync.RunAsync(client, await FileSync.PlanAsync(client, SyncDirection.Upload, _local, "many"));
        Assert.Equal(10_000, up.Sent.Count);
        var down = await FileSync.RunAsync(client, await FileSync.PlanAsync(client, SyncDirection.Download, _back, "many"));
        Assert.Equal(10_000, down.Sent.Count);
        Assert.Equal(FileTestData.TreeHashes(_local), FileTestData.TreeHashes(_back));

        var again = await FileSync.PlanAsync(client, SyncDirection.Upload, _local, "many");
        Assert.Empty(again.Send);
        Assert.Equal(10_000, again.Unchanged);
        var againDown = await FileSync.PlanAsync(client, SyncDirection.Download, _back, "many", new SyncOptions { Checksum = true });
        Assert.Empty(againDown.Send);
    }

    [Fact]
    public async Task TheWindowNarrowsToAServerWhoseUploadCapIsLower()
    {
        await using var server = await StartAsync(o => o.Files.MaxUploadsPerConnection = 2);
        var client = await server.ConnectAsync();
        var files = Enumerable.Range(0, 60).Select(i => FileTestData.Create(_local, $"f{i}", 1000 + i, i)).ToList();
        var window = new TransferWindow(maxFiles: 16);
        var results = await window.RunAsync(files, _ => 1000, (path, ct) => client.UploadAsync(path, "capped/" + Path.GetFileName(path), null, ct));
        Assert.Equal(60, results.Count);
        Assert.True(window.MaxFiles <= 2, $"the window stayed at {window.MaxFiles}");
        Assert.Equal(FileTestData.TreeHashes(_local), FileTestData.TreeHashes(Path.Combine(_root, "capped")));
    }

    [Fact]
    public async Task AWholeFilePutWhoseHashDoesNotMatchIsRefusedAndNothingTakesTheName()
    {
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        var bytes = Encoding.UTF8.GetBytes("the real content");
        var wrong = Hash(Encoding.UTF8.GetBytes("something else"));
        var ex = await Assert.ThrowsAsync<FerryException>(() => client.RequestAsync(MessageTypes.FilePut,
            new FilePutRequest { Path = "x.txt", Length = bytes.Length, Sha256 = wrong }, FilesJsonContext.Default.FilePutRequest,
            FilesJsonContext.Default.FileResult, bytes));
        Assert.Equal(ProtocolError.HashMismatch, ex.Error);
        Assert.Empty(Directory.GetFileSystemEntries(_root, "*", SearchOption.AllDirectories));
        // The connection stays usable and the same put with the right hash lands.
        await client.RequestAsync(MessageTypes.FilePut, new FilePutRequest { Path = "x.txt", Length = bytes.Length, Sha256 = Hash(bytes) },
            FilesJsonContext.Default.FilePutRequest, FilesJsonContext.Default.FileResult, bytes);
        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(_root, "x.txt")));
    }

    [Theory]
    [InlineData(10, 9, "exactly 'length'")]
    [InlineData(10, 11, "exactly 'length'")]
    [InlineData(FileLimits.InlineBytes + 1, 0, "at most")]
    public async Task AWholeFilePutWhoseBodyLiesAboutItsLengthIsRefused(long length, int bodyBytes, string said)
    {
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        var body = new byte[bodyBytes];
        var ex = await Assert.ThrowsAsync<FerryException>(() => client.RequestAsync(MessageTypes.FilePut,
            new FilePutRequest { Path = "lie.bin", Length = length, Sha256 = Hash(body) }, FilesJsonContext.Default.FilePutRequest,
            FilesJsonContext.Default.FileResult, body));
        Assert.Equal(ProtocolError.BadRequest, ex.Error);
        Assert.Contains(said, ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_root, "*", SearchOption.AllDirectories));
        Assert.Equal(FileKinds.Directory, (await client.StatAsync("")).Kind); // the connection is still usable
    }

    [Fact]
    public async Task AChecksumListingCarriesTheServersHashOfEveryFile()
    {
        FileTestData.Create(_root, "h/a.bin", 3000, 5);
        FileTestData.Create(_root, "h/sub/b.bin", 0, 6);
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        var entries = await client.ListAsync("h", recursive: true, sha256: true);
        Assert.Equal(FileTestData.Sha256(Path.Combine(_root, "h", "a.bin")), entries.Single(e => e.Name == "a.bin").Sha256);
        Assert.Equal(FileTestData.Sha256(Path.Combine(_root, "h", "sub", "b.bin")), entries.Single(e => e.Name == "sub/b.bin").Sha256);
        Assert.Null(entries.Single(e => e.Name == "sub").Sha256);
        Assert.All(await client.ListAsync("h", recursive: true), e => Assert.Null(e.Sha256));
    }

    [Fact]
    public async Task ChecksumFindsAChangeThatSizeAndMtimeMiss()
    {
        var file = FileTestData.Create(_local, "same-size.bin", 4096, 7);
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        await FileSync.RunAsync(client, await FileSync.PlanAsync(client, SyncDirection.Upload, _local, "c"));
        var mtime = File.GetLastWriteTimeUtc(file);
        var bytes = File.ReadAllBytes(file);
        bytes[2000] ^= 0xFF;
        File.WriteAllBytes(file, bytes);
        File.SetLastWriteTimeUtc(file, mtime);

        Assert.Empty((await FileSync.PlanAsync(client, SyncDirection.Upload, _local, "c")).Send);
        var plan = await FileSync.PlanAsync(client, SyncDirection.Upload, _local, "c", new SyncOptions { Checksum = true });
        Assert.Equal("checksum", Assert.Single(plan.Send).Reason);
        await FileSync.RunAsync(client, plan);
        Assert.Equal(FileTestData.Sha256(file), FileTestData.Sha256(Path.Combine(_root, "c", "same-size.bin")));
    }

    [LinuxFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task MtimeAndModeAreKeptBothWays()
    {
        var file = FileTestData.Create(_local, "keep/m.sh", 100, 8);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead);
        var mtime = new DateTime(2020, 5, 6, 7, 8, 9, 123, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(file, mtime);
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        await FileSync.RunAsync(client, await FileSync.PlanAsync(client, SyncDirection.Upload, _local, "m"));
        var there = Path.Combine(_root, "m", "keep", "m.sh");
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(there));
        Assert.Equal(File.GetUnixFileMode(file), File.GetUnixFileMode(there));
        await FileSync.RunAsync(client, await FileSync.PlanAsync(client, SyncDirection.Download, _back, "m"));
        var back = Path.Combine(_back, "keep", "m.sh");
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(back));
        Assert.Equal(File.GetUnixFileMode(file), File.GetUnixFileMode(back));
    }

    [Fact]
    public async Task AFolderWhereTheSourceHasAFileNeedsDeleteToBeReplaced()
    {
        FileTestData.Create(_local, "thing", 10, 9);
        FileTestData.Create(_root, "k/thing/inside.txt", 10, 10);
        await using var server = await StartAsync();
        var client = await server.ConnectAsync();
        var refused = await Assert.ThrowsAsync<IOException>(() => FileSync.PlanAsync(client, SyncDirection.Upload, _local, "k"));
        Assert.Contains("--delete", refused.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_root, "k", "thing", "inside.txt")));
        var plan = await FileSync.PlanAsync(client, SyncDirection.Upload, _local, "k", new SyncOptions { Delete = true });
        await FileSync.RunAsync(client, plan);
        Assert.Equal(FileTestData.TreeHashes(_local), FileTestData.TreeHashes(Path.Combine(_root, "k")));
    }
}

public sealed class SyncExcludesTests
{
    [Theory]
    [InlineData("*.log", "a.log", false, true)]
    [InlineData("*.log", "deep/down/a.log", false, true)]
    [InlineData("*.log", "a.logs", false, false)]
    [InlineData("build/", "build", true, true)]
    [InlineData("build/", "build", false, false)]
    [InlineData("build/", "src/build", true, true)]
    [InlineData("/top", "top", false, true)]
    [InlineData("/top", "sub/top", false, false)]
    [InlineData("docs/*.md", "docs/a.md", false, true)]
    [InlineData("docs/*.md", "docs/x/a.md", false, false)]
    [InlineData("docs/*.md", "other/docs/a.md", false, false)]
    [InlineData("**/tmp", "a/b/tmp", true, true)]
    [InlineData("**/tmp", "tmp", true, true)]
    [InlineData("a/**/z", "a/z", false, true)]
    [InlineData("a/**/z", "a/b/c/z", false, true)]
    [InlineData("file?.txt", "file1.txt", false, true)]
    [InlineData("file?.txt", "file10.txt", false, false)]
    [InlineData("[ab].c", "b.c", false, true)]
    [InlineData("[!ab].c", "b.c", false, false)]
    [InlineData("[!ab].c", "x.c", false, true)]
    [InlineData("a+b(c).txt", "a+b(c).txt", false, true)]
    [InlineData("*", "any/thing", false, true)]
    public void PatternsMatchLikeGitignore(string pattern, string path, bool isFolder, bool excluded) =>
        Assert.Equal(excluded, new SyncExcludes([pattern]).Excludes(path, isFolder));

    [Theory]
    [InlineData("!keep.txt")]
    [InlineData("/")]
    public void PatternsThatCannotWorkAreRefusedWithTheReason(string pattern) =>
        Assert.Throws<ArgumentException>(() => new SyncExcludes([pattern]));
}

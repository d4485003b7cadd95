using System.Text.Json;
using Ferry.Contracts.Files;
using Ferry.Transfers;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Files;

namespace Ferry.Tests.Cli;

public sealed class FileCommandTests : IDisposable
{
    private readonly string _local = TempDirectory.Create("ferry-cli-files");
    private readonly string _root = TempDirectory.Create("ferry-cli-root");

    public void Dispose()
    {
        TempDirectory.TryDelete(_local);
        TempDirectory.TryDelete(_root);
    }

    private static string[] Args(TestServer server, params string[] rest) => [.. rest.Take(1), server.Target.ToString(), .. server.ClientArgs, .. rest.Skip(1)];

    [Fact]
    public async Task FolderTreeRoundTripsWithPutAndGetRecursive()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var tree = Path.Combine(_local, "tree");
        FileTestData.Create(tree, "a.txt", 10, 1);
        FileTestData.Create(tree, "empty.bin", 0, 2);
        FileTestData.Create(tree, "sub/b.bin", 1_234_567, 3);
        FileTestData.Create(tree, "sub/deeper/c.bin", 65_537, 4);
        Directory.CreateDirectory(Path.Combine(tree, "empty-dir"));

        var put = await CliHarness.RunAsync(Args(server, "put", tree, "-r", "--to", "backup"));
        Assert.True(put.ExitCode == 0, put.StdErr);
        // Not a terminal: no bar, only the summary, on stderr; stdout stays empty (it is for data and --json).
        Assert.Equal("", put.StdOut);
        Assert.Matches(@"^sent 4 files, 1\.2 MiB in [0-9.]+ s, [0-9.]+ [KMG]?i?B/s\n$", put.StdErr);
        Assert.True(File.Exists(Path.Combine(_root, "backup", "tree", "sub", "b.bin")));
        Assert.True(Directory.Exists(Path.Combine(_root, "backup", "tree", "empty-dir")));

        var back = Path.Combine(_local, "back");
        var get = await CliHarness.RunAsync(Args(server, "get", "backup/tree", "-r", "--to", back));
        Assert.True(get.ExitCode == 0, get.StdErr);
        Assert.Equal(FileTestData.TreeHashes(tree), FileTestData.TreeHashes(Path.Combine(back, "tree")));
        Assert.True(Directory.Exists(Path.Combine(back, "tree", "empty-dir")));

        var again = await CliHarness.RunAsync(Args(server, "put", tree, "-r", "--to", "backup", "--quiet"));
        Assert.Equal(5, again.ExitCode);
        Assert.Contains("--force", again.StdErr, StringComparison.Ordinal);
        var forced = await CliHarness.RunAsync(Args(server, "put", tree, "-r", "--to", "backup", "--force", "--quiet"));
        Assert.Equal(0, forced.ExitCode);
        Assert.Equal("", forced.StdOut);
        Assert.Equal("", forced.StdErr);
    }

    [Fact]
    public async Task LsShowsATableAndJson()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        FileTestData.Create(_root, "docs/report.pdf", 2048, 1);
        Directory.CreateDirectory(Path.Combine(_root, "docs", "old"));
        var table = await CliHarness.RunAsync(Args(server, "ls", "docs"));
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("report.pdf", table.StdOut, StringComparison.Ordinal);
        Assert.Contains("2.0 KiB", table.StdOut, StringComparison.Ordinal);
        Assert.Contains("old/", table.StdOut, StringComparison.Ordinal);
        Assert.Contains("modified", table.StdOut, StringComparison.Ordinal);

        var json = await CliHarness.RunAsync(Args(server, "ls", "docs", "--json"));
        Assert.Equal(0, json.ExitCode);
        var listing = JsonSerializer.Deserialize(json.StdOut, FilesJsonContext.Default.FileListing)!;
        Assert.Equal([("old", "dir"), ("report.pdf", "file")], listing.Entries.Select(e => (e.Name, e.Kind)));
        Assert.Equal(2048, listing.Entries[1].Length);
    }

    [Fact]
    public async Task RmMkdirAndErrorsGiveOneLineAndTheRightExitCode()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        Assert.Equal(0, (await CliHarness.RunAsync(Args(server, "mkdir", "a/b", "-p"))).ExitCode);
        Assert.True(Directory.Exists(Path.Combine(_root, "a", "b")));
        Assert.Equal(0, (await CliHarness.RunAsync(Args(server, "rm", "a", "-r"))).ExitCode);
        Assert.False(Directory.Exists(Path.Combine(_root, "a")));

        var bad = await CliHarness.RunAsync(Args(server, "get", "../../etc/passwd", "--to", _local));
        Assert.Equal(5, bad.ExitCode);
        Assert.Equal("ferry: bad path '../../etc/passwd': '..' is not allowed; paths stay inside the server's root [bad_path]", bad.StdErr.Trim());

        Directory.CreateDirectory(Path.Combine(_local, "folder"));
        var folder = await CliHarness.RunAsync(Args(server, "put", Path.Combine(_local, "folder")));
        Assert.Equal(2, folder.ExitCode);
        Assert.Contains("-r", folder.StdErr, StringComparison.Ordinal);

        var missing = await CliHarness.RunAsync(Args(server, "get", "missing.txt", "--to", _local));
        Assert.Equal(5, missing.ExitCode);
        Assert.Contains("no such file or folder: 'missing.txt'", missing.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResumeFlagContinuesAnInterruptedDownload()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var remote = FileTestData.Create(_root, "big.bin", 5_000_003, 8);
        // A download cut off earlier left the first 2 MB in big.bin.part.
        var partial = new byte[2_000_000];
        using (var source = File.OpenRead(remote)) source.ReadExactly(partial);
        File.WriteAllBytes(Path.Combine(_local, "big.bin.part"), partial);
        var run = await CliHarness.RunAsync(Args(server, "get", "big.bin", "--to", _local, "--resume"));
        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.Contains("(1.9 MiB resumed)", run.StdErr, StringComparison.Ordinal);
        Assert.Equal(FileTestData.Sha256(remote), FileTestData.Sha256(Path.Combine(_local, "big.bin")));
    }
}

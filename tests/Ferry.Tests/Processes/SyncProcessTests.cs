using System.Text.Json;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Files;

namespace Ferry.Tests.Processes;

/// <summary>
/// <c>ferry sync</c> as a user runs it: the real program against a real server (port 0), both directions, with
/// --delete, --dry-run, --exclude, --json, and a run killed midway then started again.
/// </summary>
public sealed class SyncProcessTests : IDisposable
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(120);
    private readonly string _scratch = TempDirectory.Create("ferry-sync-proc");

    public void Dispose() => TempDirectory.TryDelete(_scratch);

    private string Dir(string name) => Directory.CreateDirectory(Path.Combine(_scratch, name)).FullName;

    private static async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(TestServer server, string home, params string[] args)
    {
        var run = await CliBinary.RunAsync(["sync", .. args, .. server.ClientArgs, "--accept-new"], home, s_deadline);
        return run;
    }

    private static string Remote(TestServer server, string path) => $"127.0.0.1:{server.EndPoint.Port}:{path}";

    [Fact]
    public async Task DeleteRemovesExactlyWhatTheSourceLacksOnTheServerAndNothingOutside()
    {
        var root = Dir("root");
        var src = Dir("src");
        FileTestData.Create(src, "keep.txt", 10, 1);
        FileTestData.Create(src, "sub/keep2.txt", 10, 2);
        FileTestData.Create(root, "mirror/keep.txt", 3, 3);          // differs: sent
        FileTestData.Create(root, "mirror/extra.txt", 5, 4);         // the source lacks it: deleted
        FileTestData.Create(root, "mirror/gone/deep/x.bin", 5, 5);   // a whole folder the source lacks
        FileTestData.Create(root, "mirror/notes.log", 5, 6);         // excluded: kept
        FileTestData.Create(root, "outside.txt", 5, 7);              // beside the destination: never touched
        FileTestData.Create(root, "mirror-2/also-outside.txt", 5, 8);
        File.CreateSymbolicLink(Path.Combine(root, "mirror", "link-out"), Path.Combine(root, "outside.txt"));
        await using var server = await TestServer.StartAsync(o => o.Files.Root = root);
        var home = Dir("home");

        var run = await RunAsync(server, home, src, Remote(server, "mirror"), "--delete", "--exclude", "*.log", "--json");
        Assert.True(run.ExitCode == 0, run.StdErr);
        using var report = JsonDocument.Parse(run.StdOut);
        var deleted = report.RootElement.GetProperty("deleted").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(["extra.txt", "gone", "link-out"], deleted);
        var expected = FileTestData.TreeHashes(src);
        expected["notes.log"] = FileTestData.Sha256(Path.Combine(root, "mirror", "notes.log"));
        Assert.Equal(expected, FileTestData.TreeHashes(Path.Combine(root, "mirror")));
        Assert.True(File.Exists(Path.Combine(root, "outside.txt")), "the link's target was deleted");
        Assert.True(File.Exists(Path.Combine(root, "mirror-2", "also-outside.txt")));
    }

    [Fact]
    public async Task DeleteOnALocalDestinationNeverFollowsALinkOut()
    {
        var root = Dir("root");
        var dst = Dir("dst");
        var outside = Dir("outside");
        FileTestData.Create(root, "tree/a.txt", 10, 1);
        FileTestData.Create(outside, "precious.txt", 10, 2);
        FileTestData.Create(dst, "stale.txt", 10, 3);
        File.CreateSymbolicLink(Path.Combine(dst, "to-outside"), outside);
        var before = FileTestData.Snapshot(outside);
        await using var server = await TestServer.StartAsync(o => o.Files.Root = root);

        var run = await RunAsync(server, Dir("home"), Remote(server, "tree"), dst, "--delete");
        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.Equal(["a.txt 10"], FileTestData.Snapshot(dst));
        Assert.Equal(before, FileTestData.Snapshot(outside));
        Assert.Matches(@"sent 1 file, 10 B; 0 unchanged; deleted 2", run.StdErr);
    }

    [Fact]
    public async Task DryRunPrintsThePlanAndChangesNothingEitherWay()
    {
        var root = Dir("root");
        var local = Dir("local");
        FileTestData.Create(local, "new.txt", 10, 1);
        FileTestData.Create(root, "r/old.txt", 10, 2);
        Directory.CreateDirectory(Path.Combine(local, "empty"));
        await using var server = await TestServer.StartAsync(o => o.Files.Root = root);
        var home = Dir("home");
        var beforeRoot = FileTestData.Snapshot(root);
        var beforeLocal = FileTestData.Snapshot(local);

        var up = await RunAsync(server, home, local, Remote(server, "r"), "--delete", "--dry-run");
        Assert.True(up.ExitCode == 0, up.StdErr);
        Assert.Contains("send    new.txt (10 B, new)", up.StdOut, StringComparison.Ordinal);
        Assert.Contains("delete  old.txt", up.StdOut, StringComparison.Ordinal);
        Assert.Contains("mkdir   empty", up.StdOut, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", up.StdErr, StringComparison.Ordinal);
        var down = await RunAsync(server, home, Remote(server, "r"), local, "--delete", "--dry-run", "--json");
        Assert.True(down.ExitCode == 0, down.StdErr);
        using var report = JsonDocument.Parse(down.StdOut);
        Assert.True(report.RootElement.GetProperty("dryRun").GetBoolean());
        Assert.Equal("old.txt", report.RootElement.GetProperty("sent")[0].GetProperty("path").GetString());
        Assert.Equal(["empty", "new.txt"], report.RootElement.GetProperty("deleted").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal));

        Assert.Equal(beforeRoot, FileTestData.Snapshot(root));
        Assert.Equal(beforeLocal, FileTestData.Snapshot(local));
    }

    [Fact]
    public async Task ASyncKilledMidwayAndRunAgainFinishesWithoutResendingFinishedFiles()
    {
        var root = Dir("root");
        var src = Dir("src");
        for (int i = 0; i < 400; i++) FileTestData.Create(src, $"d{i % 8}/f{i:000}.bin", 32 * 1024, i);
        FileTestData.Create(src, "zz-big.bin", 256L * 1024 * 1024, 999); // last in order: still moving when killed
        await using var server = await TestServer.StartAsync(o => o.Files.Root = root);
        var home = Dir("home");

        using (var first = UserCli.Of(UserCli.BinaryName).Start(["sync", src, Remote(server, "m"), .. server.ClientArgs, "--accept-new"], home))
        {
            // Wait for the big file's .part to hold some data: by then every small file before it has been sent.
            var deadline = DateTime.UtcNow + s_deadline;
            while (!Directory.Exists(Path.Combine(root, "m")) || !Directory.EnumerateFiles(Path.Combine(root, "m"), "zz-big.bin.*.part").Any(p => new FileInfo(p).Length > 0))
            {
                Assert.True(DateTime.UtcNow < deadline, "the first sync never got to the big file");
                if (first.HasExited) Assert.Fail($"the first sync ended (exit {first.ExitCode}) before it was killed: {first.StandardError.ReadToEnd()}");
                await Task.Delay(10);
            }
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }
        var finished = Directory.EnumerateFiles(Path.Combine(root, "m"), "*.bin", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Path.Combine(root, "m"), p).Replace('\\', '/')).ToHashSet();
        Assert.NotEmpty(finished);
        Assert.DoesNotContain("zz-big.bin", finished);

        var again = await RunAsync(server, home, src, Remote(server, "m"), "--json");
        Assert.True(again.ExitCode == 0, again.StdErr);
        using var report = JsonDocument.Parse(again.StdOut);
        var sent = report.RootElement.GetProperty("sent").EnumerateArray().ToList();
        var resent = sent.Select(f => f.GetProperty("path").GetString()!).Where(finished.Contains).ToList();
        Assert.Empty(resent);
        var big = sent.Single(f => f.GetProperty("path").GetString() == "zz-big.bin");
        Assert.True(big.GetProperty("resumedBytes").GetInt64() > 0, "the half-sent big file started over");
        Assert.Equal(FileTestData.TreeHashes(src), FileTestData.TreeHashes(Path.Combine(root, "m")));
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "m"), "*.part", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task BothSidesLocalOrBothRemoteIsAUsageErrorThatSaysWhatToWrite()
    {
        var home = Dir("home");
        var a = Dir("a");
        var run = await CliBinary.RunAsync(["sync", a, Dir("b")], home, s_deadline);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("HOST:PATH", run.StdErr, StringComparison.Ordinal);
        run = await CliBinary.RunAsync(["sync", "h:x", "h:y"], home, s_deadline);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("one must be a local folder", run.StdErr, StringComparison.Ordinal);
    }
}

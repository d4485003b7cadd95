using System.IO.Pipelines;
using System.Text.Json;
using Ferry.Cli.Commands.Files;
using Ferry.Client;
using Ferry.Connections;
using Ferry.Contracts.Files;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Files;

namespace Ferry.Tests.Cli;

/// <summary>
/// What a user meets with put and get (issue 13, items 4-6 and 8): resume by default, --restart, naming a file on
/// arrival, '-' for stdin and stdout, skipped links said out loud, local conflicts not blamed on the server, --json.
/// Real server, the CLI in-process.
/// </summary>
public sealed class FileHabitTests : IDisposable
{
    private readonly string _local = TempDirectory.Create("ferry-cli-habits");
    private readonly string _root = TempDirectory.Create("ferry-cli-habits-root");

    public void Dispose()
    {
        TempDirectory.TryDelete(_local);
        TempDirectory.TryDelete(_root);
    }

    private static string[] Args(TestServer server, params string[] rest) => [.. rest.Take(1), server.Target.ToString(), .. server.ClientArgs, .. rest.Skip(1)];

    private static JsonElement Json(CliHarness.Result run)
    {
        Assert.True(run.ExitCode == 0, run.StdErr);
        using var document = JsonDocument.Parse(run.StdOut);
        Assert.Equal(run.StdOut.TrimEnd('\n'), run.StdOut.Trim()); // one object, one line
        return document.RootElement.Clone();
    }

    // Cuts an upload (the connection dies) once the server holds at least killAt bytes; returns how many it kept.
    private async Task<long> CutUploadAsync(TestServer server, string source, string remote, long killAt)
    {
        var doomed = await server.ConnectAsync();
        int killed = 0;
        var run = doomed.UploadAsync(source, remote, new FileTransferOptions
        {
            Progress = p =>
            {
                if (p.Done >= killAt && Interlocked.Exchange(ref killed, 1) == 0) doomed.Connection.Abort(CloseReason.LocalClosed, "test cut");
            },
        });
        await Assert.ThrowsAnyAsync<Exception>(() => run.WaitAsync(TimeSpan.FromSeconds(60)));
        var folder = Path.GetDirectoryName(Path.Combine(_root, remote))!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            // The server notices the cut on its own time, then lets go of the .part (its lock): wait for that.
            var parts = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.part") : [];
            if (parts.Length == 1)
            {
                try
                {
                    using var free = new FileStream(parts[0], FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                    return free.Length;
                }
                catch (IOException)
                {
                    // still held
                }
            }
            await Task.Delay(20, deadline.Token);
        }
    }

    [Fact]
    public async Task ACutUploadRunAgainWithoutFlagsResumesAndRestartStartsOver()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        const long size = 12L * 1024 * 1024 + 77;
        var source = FileTestData.Create(_local, "movie.bin", size, seed: 5);
        long kept = await CutUploadAsync(server, source, "in/movie.bin", killAt: 5L * 1024 * 1024);
        Assert.True(kept > 0);

        // The same command again, no flags: the kept bytes are checked and not sent again.
        var again = await CliHarness.RunAsync(Args(server, "put", source, "--to", "in/", "--json"));
        var report = Json(again);
        Assert.Equal(kept, report.GetProperty("resumedBytes").GetInt64());
        Assert.Equal(size - kept, report.GetProperty("movedBytes").GetInt64());
        Assert.Equal(FileTestData.Sha256(source), FileTestData.Sha256(Path.Combine(_root, "in", "movie.bin")));
        Assert.Equal(FileTestData.Sha256(source), report.GetProperty("files")[0].GetProperty("sha256").GetString());
        Assert.Empty(Directory.GetFiles(_root, "*.part", SearchOption.AllDirectories));

        // --restart throws the partial copy away: everything is sent.
        long keptAgain = await CutUploadAsync(server, source, "in/second.bin", killAt: 5L * 1024 * 1024);
        Assert.True(keptAgain > 0);
        var restart = await CliHarness.RunAsync(Args(server, "put", source, "--to", "in/second.bin", "--restart"));
        Assert.True(restart.ExitCode == 0, restart.StdErr);
        Assert.Matches(@"^sent 1 file, 12\.0 MiB in [0-9.]+ s, [0-9.]+ \S+/s\n$", restart.StdErr); // no "(… resumed)"
        Assert.Equal(FileTestData.Sha256(source), FileTestData.Sha256(Path.Combine(_root, "in", "second.bin")));

        // --resume is still accepted (old scripts), and does what the default does.
        var old = await CliHarness.RunAsync(Args(server, "put", source, "--to", "in/third.bin", "--resume", "--quiet"));
        Assert.True(old.ExitCode == 0, old.StdErr);
        Assert.Equal("", old.StdErr);
    }

    [Fact]
    public async Task WhileAPartialCopyIsCheckedProgressSaysSoBeforeAnyByteMoves()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        const long size = 6L * 1024 * 1024;
        var source = FileTestData.Create(_local, "up.bin", size, seed: 11);
        long kept = await CutUploadAsync(server, source, "up.bin", killAt: 2L * 1024 * 1024);
        var client = await server.ConnectAsync();
        var seen = new List<FileTransferProgress>();
        await client.UploadAsync(source, "up.bin", new FileTransferOptions { Resume = true, Progress = p => { lock (seen) seen.Add(p); } });
        // First "is there a partial copy?", then "checking N bytes", then bytes move from N on.
        Assert.Equal(new FileTransferProgress("up.bin", 0, size) { Checking = true }, seen[0]);
        Assert.Equal(new FileTransferProgress("up.bin", kept, size) { Checking = true }, seen[1]);
        Assert.Equal(new FileTransferProgress("up.bin", kept, size), seen[2]);
        Assert.All(seen.Skip(2), p => Assert.False(p.Checking));

        var partial = new byte[1_000_000];
        using (var file = File.OpenRead(source)) file.ReadExactly(partial);
        var local = Path.Combine(_local, "down.bin");
        File.WriteAllBytes(local + ".part", partial);
        seen.Clear();
        await client.DownloadAsync("up.bin", local, new FileTransferOptions { Resume = true, Progress = p => { lock (seen) seen.Add(p); } });
        Assert.Equal(new FileTransferProgress("up.bin", 1_000_000, 0) { Checking = true }, seen[0]);
        Assert.Equal(new FileTransferProgress("up.bin", 1_000_000, size), seen[1]);
        Assert.Equal(FileTestData.Sha256(source), FileTestData.Sha256(local));
    }

    [Fact]
    public async Task ADownloadRunAgainResumesByDefaultAndSaysHowMuch()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var remote = FileTestData.Create(_root, "big.bin", 3_000_000, seed: 8);
        var partial = new byte[1_048_576];
        using (var source = File.OpenRead(remote)) source.ReadExactly(partial);
        File.WriteAllBytes(Path.Combine(_local, "big.bin.part"), partial);

        var run = await CliHarness.RunAsync(Args(server, "get", "big.bin", "--to", _local));
        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.Matches(@"^received 1 file, 2\.9 MiB \(1\.0 MiB resumed\) in [0-9.]+ s, [0-9.]+ \S+/s\n$", run.StdErr);
        Assert.Equal(FileTestData.Sha256(remote), FileTestData.Sha256(Path.Combine(_local, "big.bin")));

        File.WriteAllBytes(Path.Combine(_local, "again.bin.part"), partial);
        var restart = Json(await CliHarness.RunAsync(Args(server, "get", "big.bin", "--to", Path.Combine(_local, "again.bin"), "--restart", "--json")));
        Assert.Equal(0, restart.GetProperty("resumedBytes").GetInt64());
        Assert.Equal(3_000_000, restart.GetProperty("movedBytes").GetInt64());
        Assert.Equal(FileTestData.Sha256(remote), FileTestData.Sha256(Path.Combine(_local, "again.bin")));
    }

    [Fact]
    public async Task GetDashWritesTheFileToStdoutAndNothingElse()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var remote = FileTestData.Create(_root, "logs/a.log", 2_345_678, seed: 3);
        var run = await CliHarness.RunAsync(Args(server, "get", "logs/a.log", "-"));
        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.Equal(File.ReadAllBytes(remote), run.StdOutBytes);
        Assert.StartsWith("received 1 file, 2.2 MiB in ", run.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Environment.CurrentDirectory, "a.log*"));

        var both = await CliHarness.RunAsync(Args(server, "get", "logs/a.log", "-", "--json"));
        Assert.Equal(2, both.ExitCode);
    }

    [Fact]
    public async Task PutDashUploadsStdinUnderTheGivenName()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var data = File.ReadAllBytes(FileTestData.Create(_local, "tar.bin", 1_500_001, seed: 4));
        var run = await CliHarness.RunAsync(Args(server, "put", "-", "--to", "backup/backup.tar", "--json"), stdin: data);
        var report = Json(run);
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(_root, "backup", "backup.tar")));
        var file = report.GetProperty("files")[0];
        Assert.Equal("-", file.GetProperty("source").GetString());
        Assert.Equal("backup/backup.tar", file.GetProperty("destination").GetString());
        Assert.Equal(data.Length, file.GetProperty("size").GetInt64());
        Assert.Empty(Directory.GetFiles(_root, "*.part", SearchOption.AllDirectories));

        var nameless = await CliHarness.RunAsync(Args(server, "put", "-"), stdin: data);
        Assert.Equal(2, nameless.ExitCode);
        Assert.Contains("--to NAME", nameless.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneFileCanBeNamedOnArrivalLikeCp()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var remote = FileTestData.Create(_root, "docs/remote.pdf", 10_000, seed: 1);

        // get --to NAME (not a folder) names the file.
        var named = Path.Combine(_local, "local.pdf");
        Assert.Equal(0, (await CliHarness.RunAsync(Args(server, "get", "docs/remote.pdf", "--to", named, "-q"))).ExitCode);
        Assert.Equal(FileTestData.Sha256(remote), FileTestData.Sha256(named));
        // ... and an existing folder, or a trailing /, still means "into".
        var folder = Path.Combine(_local, "inbox") + "/";
        Assert.Equal(0, (await CliHarness.RunAsync(Args(server, "get", "docs/remote.pdf", "--to", folder, "-q"))).ExitCode);
        Assert.True(File.Exists(Path.Combine(_local, "inbox", "remote.pdf")));

        // The scp habit, 'get HOST remote local', says how to do it.
        var scp = await CliHarness.RunAsync(Args(server, "get", "docs/remote.pdf", "other.pdf"));
        Assert.Equal(5, scp.ExitCode);
        Assert.Contains("use --to other.pdf", scp.StdErr, StringComparison.Ordinal);

        // put --to NAME names it too; an existing remote folder means "into".
        Assert.Equal(0, (await CliHarness.RunAsync(Args(server, "put", named, "--to", "docs/final.pdf", "-q"))).ExitCode);
        Assert.Equal(FileTestData.Sha256(remote), FileTestData.Sha256(Path.Combine(_root, "docs", "final.pdf")));
        Assert.Equal(0, (await CliHarness.RunAsync(Args(server, "put", named, "--to", "docs", "-q"))).ExitCode);
        Assert.True(File.Exists(Path.Combine(_root, "docs", "local.pdf")));
    }

    [Fact]
    public async Task AFileAlreadyHereIsALocalErrorNotAServerOne()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        FileTestData.Create(_root, "a.txt", 100, seed: 1);
        var here = FileTestData.Create(_local, "a.txt", 5, seed: 2);
        var run = await CliHarness.RunAsync(Args(server, "get", "a.txt", "--to", _local));
        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"ferry: '{here}' already exists here; use --force to overwrite it", run.StdErr.Trim());
        Assert.Equal(5, new FileInfo(here).Length);
    }

    [Fact]
    public async Task PutRecursiveSaysWhichLinksItSkips()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var tree = Path.Combine(_local, "tree");
        FileTestData.Create(tree, "real.txt", 10, seed: 1);
        File.CreateSymbolicLink(Path.Combine(tree, "link.txt"), Path.Combine(tree, "real.txt"));
        Directory.CreateSymbolicLink(Path.Combine(tree, "outside"), "/etc");
        var run = await CliHarness.RunAsync(Args(server, "put", tree, "-r"));
        Assert.True(run.ExitCode == 0, run.StdErr);
        var lines = run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"ferry: skipping link '{Path.Combine(tree, "link.txt")}' (links are not copied)", lines[0]);
        Assert.Equal($"ferry: skipping link '{Path.Combine(tree, "outside")}' (links are not copied)", lines[1]);
        Assert.StartsWith("sent 1 file, ", lines[2], StringComparison.Ordinal);
        Assert.Equal(["real.txt"], Directory.GetFileSystemEntries(Path.Combine(_root, "tree")).Select(Path.GetFileName));

        var json = Json(await CliHarness.RunAsync(Args(server, "put", tree, "-r", "--force", "--json")));
        Assert.Equal(2, json.GetProperty("skipped").GetArrayLength());
    }

    [Fact]
    public async Task JsonOfPutGetRmMkdirParsesWithCamelCaseBytesAndUtcTimes()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var source = FileTestData.Create(_local, "a.bin", 4321, seed: 9);
        var mkdir = Json(await CliHarness.RunAsync(Args(server, "mkdir", "x/y", "-p", "--json")));
        Assert.Equal("mkdir", mkdir.GetProperty("command").GetString());
        Assert.Equal("x/y", mkdir.GetProperty("created").GetString());
        Assert.True(mkdir.GetProperty("parents").GetBoolean());

        var put = Json(await CliHarness.RunAsync(Args(server, "put", source, "--to", "x/y/", "--json")));
        Assert.Equal("put", put.GetProperty("command").GetString());
        Assert.Equal(1, put.GetProperty("fileCount").GetInt32());
        Assert.Equal(4321, put.GetProperty("totalBytes").GetInt64());
        Assert.Equal(4321, put.GetProperty("movedBytes").GetInt64());
        Assert.Equal(0, put.GetProperty("resumedBytes").GetInt64());
        Assert.Equal("x/y/a.bin", put.GetProperty("files")[0].GetProperty("destination").GetString());
        Assert.Equal(FileTestData.Sha256(source), put.GetProperty("files")[0].GetProperty("sha256").GetString());
        foreach (var name in new[] { "startedAt", "finishedAt" })
        {
            var text = put.GetProperty(name).GetString()!;
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", text);
            var at = DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Math.Abs((DateTimeOffset.UtcNow - at).TotalMinutes) < 5, text);
        }
        Assert.True(put.GetProperty("durationSeconds").GetDouble() >= 0);

        var get = Json(await CliHarness.RunAsync(Args(server, "get", "x/y/a.bin", "--to", Path.Combine(_local, "back.bin"), "--json")));
        Assert.Equal("get", get.GetProperty("command").GetString());
        Assert.Equal(Path.Combine(_local, "back.bin"), get.GetProperty("files")[0].GetProperty("destination").GetString());

        var rm = Json(await CliHarness.RunAsync(Args(server, "rm", "x", "-r", "--json")));
        Assert.Equal("rm", rm.GetProperty("command").GetString());
        Assert.Equal(["x"], rm.GetProperty("removed").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task CtrlCSaysHowFarItGotAndExits130()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        FileTestData.Create(_root, "huge.log", 8L * 1024 * 1024, seed: 6);
        // Stdout is a pipe the reader stops draining after 1 MiB: the download stalls there, as with '| less'.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 256 * 1024, resumeWriterThreshold: 128 * 1024));
        using var interrupt = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = CliHarness.RunAsync(Args(server, "get", "huge.log", "-"), new MemoryStream(), pipe.Writer.AsStream(), interrupt.Token);
        var first = await pipe.Reader.ReadAtLeastAsync(1024 * 1024, interrupt.Token);
        Assert.True(first.Buffer.Length >= 1024 * 1024);
        await interrupt.CancelAsync(); // what Ctrl+C does
        // Then the reader goes away too (as the pager does on Ctrl+C), so that nothing waits on the pipe any more.
        pipe.Reader.AdvanceTo(first.Buffer.End);
        await pipe.Reader.CompleteAsync();
        var (code, stderr) = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(130, code);
        Assert.Matches(@"^ferry: interrupted: [0-9.]+ (B|KiB|MiB) of 8\.0 MiB received\n$", stderr); // stdout cannot be resumed: no hint
    }

    [Theory]
    [InlineData(40)]
    [InlineData(80)]
    [InlineData(200)]
    public void LiveLinesFitTheTerminalWhateverTheName(int width)
    {
        var name = "reports/" + new string('a', 45) + "-middle-" + new string('z', 40) + ".pdf"; // 105 characters
        var top = TransferLine.Overall("put", 3, 300, 734_003_200, 1_288_490_189, 125_829_120, width);
        var bottom = TransferLine.Current(name, new FileTransferProgress(name, 500, 1000), 0, "put", width);
        var checking = TransferLine.Current(name, new FileTransferProgress(name, 734_003_200, 1000) { Checking = true }, -1, "put", width);
        foreach (var line in new[] { top, bottom, checking })
        {
            Assert.True(line.Length < width, $"{line.Length} ≥ {width}: {line}");
            Assert.DoesNotContain('\n', line);
        }
        Assert.StartsWith("put  ", top, StringComparison.Ordinal);
        Assert.Contains("700 MiB / 1.2 GiB", top, StringComparison.Ordinal);
        if (width >= 80)
        {
            Assert.StartsWith("put  3/300 files  700 MiB / 1.2 GiB  [#", top, StringComparison.Ordinal);
            Assert.Contains("120 MiB/s", top, StringComparison.Ordinal);
            Assert.Contains("0:04 left", top, StringComparison.Ordinal);
            Assert.Contains("checking 700 MiB already sent…", checking, StringComparison.Ordinal);
        }
        if (width < name.Length + 10)
        {
            Assert.Contains("…", bottom, StringComparison.Ordinal);
            Assert.EndsWith("zz.pdf", bottom, StringComparison.Ordinal); // the end of the name (its extension) stays
            Assert.Contains("reports/aa", bottom, StringComparison.Ordinal);
        }
        else
        {
            Assert.EndsWith(name, bottom, StringComparison.Ordinal);
        }
    }
}

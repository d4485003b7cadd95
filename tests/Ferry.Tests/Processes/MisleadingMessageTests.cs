using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Ferry.Client;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Processes;

/// <summary>
/// Messages that used to send the user after the wrong problem (issue #13, item 7), each run as a user runs ferry:
/// the built binary as a process, its one stderr line read as they would read it.
/// </summary>
public class MisleadingMessageTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static UserCli Cli => UserCli.Of(UserCli.BinaryName);

    private static string OneLine((int ExitCode, string StdOut, string StdErr) run)
    {
        var lines = run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}:\n{run.StdErr}");
        return lines[0];
    }

    private static async Task UploadHelloAsync(TestServer server)
    {
        var local = Path.Combine(TempDirectory.Create("ferry-src"), "hello.txt");
        await File.WriteAllTextAsync(local, "hello\n");
        await (await server.ConnectAsync()).UploadAsync(local, "hello.txt");
    }

    [Fact]
    public async Task AKeyFileThatIsAFolderIsNotCalledMissing()
    {
        var home = TempDirectory.Create("ferry-home");
        var run = await Cli.RunAsync(["echo", "127.0.0.1:1", "hi", "--key-file", home], home, Deadline);
        var line = OneLine(run);
        Assert.Contains("is a folder", line, StringComparison.Ordinal);
        Assert.DoesNotContain("does not exist", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AKeyFileThisUserMayNotReadIsNotCalledMissing()
    {
        if (OperatingSystem.IsWindows()) return; // file modes and setpriv are Unix notions
        // Behind a folder only its owner may enter, and itself mode 000. Root reads anything, so as root the
        // client runs as 'nobody' (setpriv), which is what an ordinary user meets.
        var folder = TempDirectory.Create("ferry-locked");
        var key = Path.Combine(folder, "key");
        File.WriteAllText(key, Convert.ToBase64String(new byte[32]) + "\n");
        File.SetUnixFileMode(key, UnixFileMode.None);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var home = TempDirectory.Create("ferry-home");
        File.SetUnixFileMode(home, (UnixFileMode)0x1FF); // 0777: 'nobody' keeps known_hosts there
        bool root = Environment.UserName == "root";
        Assert.True(!root || ProcessRunner.Exists("setpriv"), "setpriv (util-linux) is missing: needed to run as an ordinary user");
        foreach (var path in new[] { key, Path.Combine(folder, "..", Path.GetFileName(folder), "key") })
        {
            string[] ferry = [Cli.Executable, "echo", "127.0.0.1:1", "hi", "--key-file", path];
            var run = root
                ? await ProcessRunner.RunAsync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", .. ferry], Deadline, "",
                    new Dictionary<string, string> { ["FERRY_HOME"] = home })
                : await Cli.RunAsync(ferry[1..], home, Deadline);
            var line = OneLine(run);
            Assert.Contains("permission denied", line, StringComparison.Ordinal);
            Assert.DoesNotContain("does not exist", line, StringComparison.Ordinal);
        }
        File.SetUnixFileMode(folder, (UnixFileMode)0x1C0);
    }

    [Fact]
    public async Task GetIntoAFolderThatTakesNoFilesNamesTheFolderAndTheCause()
    {
        await using var server = await TestServer.StartAsync();
        await UploadHelloAsync(server);
        var home = TempDirectory.Create("ferry-home");
        var run = await Cli.RunAsync(["get", $"127.0.0.1:{server.EndPoint.Port}", "hello.txt", "--to", "/proc/sys", .. server.ClientArgs], home, Deadline);
        Assert.Equal(1, run.ExitCode);
        var line = OneLine(run);
        Assert.Contains("/proc/sys", line, StringComparison.Ordinal);
        Assert.Contains("not writable", line, StringComparison.Ordinal);
        Assert.DoesNotContain(".part", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileThatExistsHereIsALocalErrorNotAServerOne()
    {
        await using var server = await TestServer.StartAsync();
        await UploadHelloAsync(server);
        var home = TempDirectory.Create("ferry-home");
        var into = TempDirectory.Create("ferry-get");
        string[] get = ["get", $"127.0.0.1:{server.EndPoint.Port}", "hello.txt", "--to", into, "-q", .. server.ClientArgs];
        Assert.Equal(0, (await Cli.RunAsync(get, home, Deadline)).ExitCode);
        var again = await Cli.RunAsync(get, home, Deadline);
        var help = ExitCodeTable.Parse((await Cli.RunAsync(["--help"], home, Deadline)).StdOut);
        Assert.True(again.ExitCode != help.CodeFor("server"), $"a local file in the way exited with the server-error code:\n{again.StdErr}");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already exists", OneLine(again), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABusyNtpPortNamesTheAddressAndTheOption()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var busy = (IPEndPoint)holder.LocalEndPoint!;
        var home = TempDirectory.Create("ferry-home");
        var run = await Cli.RunAsync(["serve", "--listen", "127.0.0.1:0", "--ntp", busy.ToString(), "--data", home], home, Deadline);
        Assert.Equal(1, run.ExitCode);
        var line = OneLine(run);
        Assert.Contains(busy.ToString(), line, StringComparison.Ordinal);
        Assert.Contains("--ntp", line, StringComparison.Ordinal);
        Assert.Contains("already in use", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientAtTheRawEchoPortIsToldItIsNotAFerryServer()
    {
        await using var server = await TestServer.StartAsync(o => o.TcpEcho = new IPEndPoint(IPAddress.Loopback, 0));
        var echoPort = ((IPEndPoint)server.Server.ExtraEndPoint("tcp-echo")!).Port;
        var home = TempDirectory.Create("ferry-home");
        var run = await Cli.RunAsync(["echo", $"127.0.0.1:{echoPort}", "hi", .. server.ClientArgs], home, Deadline);
        Assert.Equal(3, run.ExitCode);
        var line = OneLine(run);
        Assert.Contains("did not answer as a Ferry server (TLS handshake failed:", line, StringComparison.Ordinal);
        Assert.Contains("is this the right port?", line, StringComparison.Ordinal);
        Assert.DoesNotContain("inner exception", line, StringComparison.Ordinal);
        Assert.DoesNotContain("--plaintext", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APlaintextServerIsTheOneCaseThatSuggestsPlaintext()
    {
        await using var server = await TestServer.StartPlaintextAsync();
        var home = TempDirectory.Create("ferry-home");
        var run = await Cli.RunAsync(["echo", $"127.0.0.1:{server.EndPoint.Port}", "hi", "--key-file", server.KeyFile], home, Deadline);
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("add --plaintext", OneLine(run), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerThatHangsUpDuringTheHandshakeDoesNotSuggestPlaintext()
    {
        // What an overloaded server does (or one at its connection cap): accept, then close without a word.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var hangUp = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptSocketAsync();
            accepted.Shutdown(SocketShutdown.Both);
        });
        var home = TempDirectory.Create("ferry-home");
        var run = await Cli.RunAsync(["echo", $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}", "hi", "--accept-new"], home, Deadline);
        await hangUp;
        Assert.Equal(3, run.ExitCode);
        var line = OneLine(run);
        Assert.Contains("closed the connection during the TLS handshake", line, StringComparison.Ordinal);
        Assert.DoesNotContain("--plaintext", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BenchConnsAtACappedServerDoesNotBlamePlaintext()
    {
        await using var server = await TestServer.StartAsync(o => o.Server.Authentication.MaxUnauthenticatedPerAddress = 2);
        var home = TempDirectory.Create("ferry-home");
        var run = await Cli.RunAsync(["bench", "conns", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs,
            "--count", "40", "--parallel", "20", "--hold", "0.2", "--json"], home, Deadline);
        using var report = JsonDocument.Parse(run.StdOut);
        Assert.True(report.RootElement.GetProperty("failed").GetInt32() > 0, "the cap refused nobody, so this test shows nothing:\n" + run.StdOut);
        Assert.DoesNotContain("--plaintext", run.StdOut + run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubnetSaysGreenOnlyWhereThereIsColour()
    {
        var home = TempDirectory.Create("ferry-home");
        var piped = await Cli.RunAsync(["subnet", "10.1.2.3/24", "--bits"], home, Deadline);
        Assert.Equal(0, piped.ExitCode);
        Assert.Contains("bits are the network", piped.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("green", piped.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheStickyDemoSaysHowManyTrials()
    {
        var r = await Ferry.Cli.Demos.Sticky.StickyDemo.RunAsync("slow-fix", slowFixMessages: 200);
        Assert.Contains($"best of {Ferry.Cli.Demos.Sticky.SlowFixCase.Trials} ", r.Arranged, StringComparison.Ordinal);
        Assert.DoesNotContain("{", r.Arranged, StringComparison.Ordinal);
    }
}

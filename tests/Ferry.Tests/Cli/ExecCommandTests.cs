using System.Diagnostics;
using System.Text;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Exec;

namespace Ferry.Tests.Cli;

public class ExecCommandTests
{
    private static string[] Exec(TestServer server, params string[] rest) =>
        ["exec", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, .. rest];

    [Fact]
    public async Task ExitsWithTheRemoteExitCodeAndKeepsStreamsApart()
    {
        await using var server = await ExecTestServer.StartAsync();
        var result = await CliHarness.RunAsync(Exec(server, "--", "echo out; echo err >&2; exit 42"));
        Assert.Equal(42, result.ExitCode);
        Assert.Equal("out\n", result.StdOut);
        Assert.Equal("err\n", result.StdErr);
    }

    [Fact]
    public async Task SeveralArgumentsAreQuotedLikeSsh()
    {
        await using var server = await ExecTestServer.StartAsync();
        var result = await CliHarness.RunAsync(Exec(server, "--", "echo", "a  b", "it's", "$HOME"));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("a  b it's $HOME\n", result.StdOut);
    }

    [Fact]
    public async Task StdinIsForwardedToSort()
    {
        await using var server = await ExecTestServer.StartAsync();
        var result = await CliHarness.RunAsync(Exec(server, "--", "sort", "-r"), "a\nb\n"u8.ToArray());
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("b\na\n", result.StdOut);
    }

    [Fact]
    public async Task BinaryOutputIsByteForByte()
    {
        await using var server = await ExecTestServer.StartAsync();
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var result = await CliHarness.RunAsync(Exec(server, "--", "cat"), bytes);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(bytes, result.StdOutBytes);
    }

    [Fact]
    public async Task CwdAndEnvOptionsApply()
    {
        await using var server = await ExecTestServer.StartAsync();
        var result = await CliHarness.RunAsync(Exec(server, "--cwd", "/", "--env", "A=1", "-e", "B=two words", "--", "echo \"$A $B\"; pwd"));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("1 two words\n/\n", result.StdOut);
    }

    [Fact]
    public async Task TimeoutKillsTheCommandAndExits124()
    {
        await using var server = await ExecTestServer.StartAsync();
        var marker = ProcessTable.Marker();
        var result = await CliHarness.RunAsync(Exec(server, "--timeout", "1", "--", $"sleep {marker} & sleep {marker}"));
        Assert.Equal(124, result.ExitCode);
        Assert.Contains("timeout", result.StdErr);
        Assert.Empty(ProcessTable.Matching(marker));
    }

    [Fact]
    public async Task InterruptingStopsTheRemoteCommand()
    {
        await using var server = await ExecTestServer.StartAsync();
        var marker = ProcessTable.Marker();
        using var cts = new CancellationTokenSource();
        var run = CliHarness.RunAsync(Exec(server, "--", $"sleep {marker}"), cancellationToken: cts.Token);
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Sleeps(marker) > 0, TimeSpan.FromSeconds(30)));
        await cts.CancelAsync();
        var result = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(130, result.ExitCode);
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Matching(marker).Count == 0, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task AKilledClientProcessLeavesNoRemoteProcessBehind()
    {
        await using var server = await ExecTestServer.StartAsync();
        var marker = ProcessTable.Marker();
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Ferry.Cli.dll") }.Concat(Exec(server, "--", $"sleep {marker} & sleep {marker}")))
        {
            info.ArgumentList.Add(arg);
        }
        using var client = Process.Start(info)!;
        try
        {
            Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Sleeps(marker) == 2,
                TimeSpan.FromSeconds(60)), "the remote command never started");
        }
        finally
        {
            client.Kill(); // SIGKILL: the client gets no chance to say goodbye
            await client.WaitForExitAsync();
        }
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Sleeps(marker) == 0, TimeSpan.FromSeconds(10)),
            ProcessTable.Describe(ProcessTable.Matching(marker)));
    }

    [Fact]
    public async Task AReaderThatGoesAwayStopsTheRemoteCommandLikeSigpipe()
    {
        await using var server = await ExecTestServer.StartAsync();
        var marker = ProcessTable.Marker();
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Ferry.Cli.dll") }.Concat(Exec(server, "--no-stdin", "--", $"yes {marker}")))
        {
            info.ArgumentList.Add(arg);
        }
        using var client = Process.Start(info)!;
        try
        {
            var line = await client.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(marker, line);
            client.StandardOutput.Close(); // like 'head -1' exiting
            await client.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(141, client.ExitCode);
        }
        finally
        {
            if (!client.HasExited) client.Kill();
        }
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Matching(marker).Count == 0, TimeSpan.FromSeconds(10)),
            ProcessTable.Describe(ProcessTable.Matching(marker)));
    }

    [Fact]
    public async Task DisabledServerIsOneClearLine()
    {
        await using var server = await TestServer.StartAsync();
        var result = await CliHarness.RunAsync(Exec(server, "--", "true"));
        Assert.Equal(5, result.ExitCode);
        Assert.Contains("exec is disabled on this server; start it with --allow-exec", result.StdErr);
        Assert.Single(result.StdErr.Trim().Split('\n'));
    }

    [Fact]
    public async Task HelpExplainsExecAndShell()
    {
        var exec = await CliHarness.RunAsync(["exec", "--help"]);
        Assert.Equal(0, exec.ExitCode);
        Assert.Contains("--timeout", exec.StdOut);
        Assert.Contains("--allow-exec", exec.StdOut);
        var shell = await CliHarness.RunAsync(["shell", "--help"]);
        Assert.Equal(0, shell.ExitCode);
        Assert.Contains("cd", shell.StdOut);
        var serve = await CliHarness.RunAsync(["serve", "--help"]);
        Assert.Contains("--max-exec", serve.StdOut);
    }

    [Fact]
    public async Task BadEnvIsAUsageError()
    {
        var result = await CliHarness.RunAsync(["exec", "127.0.0.1:1", "--env", "NOVALUE", "--", "true"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("NAME=VALUE", result.StdErr);
    }

    [Fact]
    public async Task ShellRunsScriptedLinesAndTracksCd()
    {
        await using var server = await ExecTestServer.StartAsync();
        using var dir = new TempFolder();
        Directory.CreateDirectory(Path.Combine(dir.Path, "sub dir"));
        var script = $"pwd\ncd {dir.Path}\npwd\n\ncd 'sub dir'\npwd\ncd /no/such/folder\npwd\ncd\npwd\nexit\necho never\n";
        var result = await CliHarness.RunAsync(["shell", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs], Encoding.UTF8.GetBytes(script));
        var home = Path.Combine(server.DataDirectory, "home");
        Assert.Equal($"{home}\n{dir.Path}\n{dir.Path}/sub dir\n{dir.Path}/sub dir\n{home}\n", result.StdOut);
        Assert.Contains("/no/such/folder", result.StdErr);
        Assert.Equal(0, result.ExitCode);
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = TempDirectory.Create("ferry-shell");

        public void Dispose() => TempDirectory.TryDelete(Path);
    }
}

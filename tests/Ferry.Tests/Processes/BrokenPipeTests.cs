using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Processes;

/// <summary>
/// A reader that goes away ('ferry ... | head -1'): ferry ends silently with 141, the code a shell gives a writer
/// killed by SIGPIPE — for every command that writes to stdout, not only exec.
/// </summary>
public class BrokenPipeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private const int SigPipeExit = 128 + 13;

    /// <summary>
    /// Runs ferry with stdout on a pipe whose only reader has already exited, so its first write fails (EPIPE) however
    /// fast or slow it is: no race with a reader that might still be reading.
    /// </summary>
    private static Task<(int ExitCode, string StdOut, string StdErr)> IntoClosedPipeAsync(UserCli cli, string home, params string[] args) =>
        ProcessRunner.RunAsync("bash", ["-c", $"exec 3> >(exit 0); wait $!; {cli.ShellCommand(args, home)} >&3"], Deadline, stdin: "");

    /// <summary>The pipeline as a user types it, with the shell's pipefail telling ferry's own exit code.</summary>
    private static Task<(int ExitCode, string StdOut, string StdErr)> IntoHeadAsync(UserCli cli, string home, params string[] args) =>
        ProcessRunner.RunAsync("bash", ["-c", $"set -o pipefail; {cli.ShellCommand(args, home)} </dev/null | head -1"], Deadline, stdin: "");

    public static TheoryData<string, string> LocalCommands() =>
        UserCli.WithEachRunner("subnet 10.1.2.3/8 10.9.9.9 --bits", "subnet 2001:db8::1/64 --json", "--help", "exec --help", "--version", "key rotate");

    [Theory]
    [MemberData(nameof(LocalCommands))]
    public async Task ALocalCommandWritingIntoAClosedPipeEndsSilentlyWith141(string runner, string args)
    {
        var cli = UserCli.Of(runner);
        var home = TempDirectory.Create("ferry-home");
        var run = await IntoClosedPipeAsync(cli, home, args.Split(' '));
        Assert.True(run.ExitCode == SigPipeExit && run.StdErr.Length == 0, $"'ferry {args}' into a closed pipe exited {run.ExitCode}, stderr:\n{run.StdErr}");
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task RemoteCommandsWritingIntoAClosedPipeEndSilentlyWith141(string runner)
    {
        var cli = UserCli.Of(runner);
        await using var server = await TestServer.StartAsync(o => o.Exec.Enabled = true);
        var home = TempDirectory.Create("ferry-home");
        var target = $"127.0.0.1:{server.EndPoint.Port}";
        Directory.CreateDirectory(Path.Combine(server.DataDirectory, "files"));
        foreach (var args in new string[][]
        {
            ["echo", target, "hello", .. server.ClientArgs],
            ["ls", target, .. server.ClientArgs],
            ["stats", target, .. server.ClientArgs],
            ["exec", target, .. server.ClientArgs, "--", "echo hi"],
        })
        {
            var run = await IntoClosedPipeAsync(cli, home, args);
            Assert.True(run.ExitCode == SigPipeExit && run.StdErr.Length == 0, $"'ferry {args[0]}' into a closed pipe exited {run.ExitCode}, stderr:\n{run.StdErr}");
        }
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task SubnetIntoHeadPrintsOneLineAndEndsSilentlyWith141(string runner)
    {
        var cli = UserCli.Of(runner);
        var home = TempDirectory.Create("ferry-home");
        // Far more output than a pipe holds, so ferry is still writing when head has gone.
        var others = Enumerable.Range(0, 8000).Select(i => $"10.{i / 250 % 250}.{i % 250}.7");
        var run = await IntoHeadAsync(cli, home, ["subnet", "10.1.2.3/8", .. others]);
        Assert.True(run.ExitCode == SigPipeExit && run.StdErr.Length == 0, $"'ferry subnet ... | head -1' exited {run.ExitCode}, stderr:\n{run.StdErr}");
        Assert.Single(run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task ExecYesIntoHeadPrintsOneLineAndEndsSilentlyWith141(string runner)
    {
        var cli = UserCli.Of(runner);
        await using var server = await TestServer.StartAsync(o => o.Exec.Enabled = true);
        var home = TempDirectory.Create("ferry-home");
        var run = await IntoHeadAsync(cli, home, ["exec", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "--", "yes"]);
        Assert.True(run.ExitCode == SigPipeExit && run.StdErr.Length == 0, $"'ferry exec ... -- yes | head -1' exited {run.ExitCode}, stderr:\n{run.StdErr}");
        Assert.Equal("y\n", run.StdOut);
    }
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Processes;

/// <summary>
/// What a user meets, run as a user runs it: the <c>./ferry</c> launcher and the built binary as child processes
/// with pipes. Exit codes are looked up in the table <c>ferry --help</c> prints, so the help and the program cannot
/// drift apart; every error must reach stderr as one line (the launcher once sent stderr to /dev/null).
/// </summary>
public class ExitContractTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Shown as skipped, with the reason, when artifacts/cli is absent: the launcher cases below then run only as 'binary'.</summary>
    [LauncherFact]
    public async Task TheLauncherRunsTheBuiltCli()
    {
        var run = await UserCli.Of(UserCli.LauncherName).RunAsync(["--version"], TempDirectory.Create("ferry-home"), Deadline);
        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.Matches(@"^\d+\.\d+\.\d+", run.StdOut);
    }

    private static async Task<ExitCodeTable> TableAsync(UserCli cli, string home)
    {
        var help = await cli.RunAsync(["--help"], home, Deadline);
        Assert.True(help.ExitCode == 0, $"'ferry --help' exited {help.ExitCode}: {help.StdErr}");
        return ExitCodeTable.Parse(help.StdOut);
    }

    /// <summary>An error a user can read: exactly one non-empty line on stderr, starting "ferry:".</summary>
    private static void OneErrorLine((int ExitCode, string StdOut, string StdErr) run, string what)
    {
        var lines = run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"{what}: expected one line on stderr, got {lines.Length}:\n{run.StdErr}");
        Assert.StartsWith("ferry", lines[0], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task TheHelpListsTheExitCodesTheCommandsUse(string runner)
    {
        var cli = UserCli.Of(runner);
        var home = TempDirectory.Create("ferry-home");
        var table = await TableAsync(cli, home);
        Assert.Equal(0, table.CodeFor("ok"));
        foreach (var meaning in new[] { "usage", "connect", "authentication", "server", "timed out", "interrupted" })
        {
            table.CodeFor(meaning);
        }
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task EveryCommandAndSubcommandAnswersHelpWithExitZero(string runner)
    {
        var cli = UserCli.Of(runner);
        var home = TempDirectory.Create("ferry-home");
        var commands = new Queue<string[]>([[]]);
        var seen = new List<string>();
        while (commands.TryDequeue(out var path))
        {
            var help = await cli.RunAsync([.. path, "--help"], home, Deadline);
            var name = string.Join(' ', ["ferry", .. path]);
            Assert.True(help.ExitCode == 0, $"'{name} --help' exited {help.ExitCode}: {help.StdErr}");
            Assert.True(help.StdOut.Length > 0, $"'{name} --help' printed nothing");
            Assert.True(help.StdErr.Length == 0, $"'{name} --help' wrote to stderr: {help.StdErr}");
            seen.Add(name);
            foreach (var sub in SubcommandsIn(help.StdOut)) commands.Enqueue([.. path, sub]);
        }
        Assert.Contains("ferry exec", seen);
        Assert.Contains("ferry bench conns", seen);
    }

    // System.CommandLine lists them under "Commands:", two spaces in, then the name (and maybe <ARGS>).
    private static IEnumerable<string> SubcommandsIn(string help)
    {
        int start = help.IndexOf("\nCommands:", StringComparison.Ordinal);
        if (start < 0) yield break;
        foreach (var line in help[(start + 1)..].Split('\n').Skip(1))
        {
            if (line.Trim().Length == 0) break;
            if (Regex.Match(line, @"^  ([a-z][a-z0-9-]*)\b") is { Success: true } m) yield return m.Groups[1].Value;
        }
    }

    public static TheoryData<string, string> UsageErrors() => UserCli.WithEachRunner(
        "exec", "echo 127.0.0.1 hi --no-such-option", "subnet 300.1.2.3", "get", "exec 127.0.0.1 --timeout -1 -- true", "no-such-command");

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public async Task AUsageErrorExitsWithTheUsageCodeAndOneLine(string runner, string args)
    {
        var cli = UserCli.Of(runner);
        var home = TempDirectory.Create("ferry-home");
        var table = await TableAsync(cli, home);
        var run = await cli.RunAsync(args.Split(' '), home, Deadline);
        Assert.True(run.ExitCode == table.CodeFor("usage"), $"'ferry {args}' exited {run.ExitCode}, not the usage code:\n{run.StdErr}");
        OneErrorLine(run, $"ferry {args}");
        Assert.Equal("", run.StdOut);
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task NobodyListeningExitsWithCannotConnectAndSaysSoOnStderr(string runner)
    {
        var cli = UserCli.Of(runner);
        var home = TempDirectory.Create("ferry-home");
        var table = await TableAsync(cli, home);
        int port = ClosedPort();
        foreach (var args in new[] { new[] { "echo", $"127.0.0.1:{port}", "hi" }, ["exec", $"127.0.0.1:{port}", "--", "true"], ["ls", $"127.0.0.1:{port}"] })
        {
            var run = await cli.RunAsync(args, home, Deadline);
            Assert.True(run.ExitCode == table.CodeFor("connect"), $"'ferry {string.Join(' ', args)}' exited {run.ExitCode}:\n{run.StdErr}");
            OneErrorLine(run, $"ferry {args[0]}");
            Assert.Contains($"127.0.0.1:{port}", run.StdErr, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task AWrongKeyExitsWithAuthenticationRefused(string runner)
    {
        var cli = UserCli.Of(runner);
        await using var server = await TestServer.StartAsync();
        var home = TempDirectory.Create("ferry-home");
        var table = await TableAsync(cli, home);
        var wrongKey = Path.Combine(home, "wrong.key");
        File.WriteAllText(wrongKey, Convert.ToBase64String(new byte[32]) + "\n");
        var run = await cli.RunAsync(["echo", $"127.0.0.1:{server.EndPoint.Port}", "hi", "--key-file", wrongKey, "--accept-new"], home, Deadline);
        Assert.True(run.ExitCode == table.CodeFor("authentication"), $"exited {run.ExitCode}:\n{run.StdErr}");
        OneErrorLine(run, "a wrong key");
        Assert.Equal("", run.StdOut);
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task AnErrorTheServerAnswersExitsWithTheServerErrorCode(string runner)
    {
        var cli = UserCli.Of(runner);
        await using var server = await TestServer.StartAsync();
        var home = TempDirectory.Create("ferry-home");
        var table = await TableAsync(cli, home);
        var run = await cli.RunAsync(["ls", $"127.0.0.1:{server.EndPoint.Port}", "no-such-folder", .. server.ClientArgs], home, Deadline);
        Assert.True(run.ExitCode == table.CodeFor("server"), $"exited {run.ExitCode}:\n{run.StdErr}");
        OneErrorLine(run, "ls of a missing folder");
        Assert.Contains("no-such-folder", run.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task ExecPassesOnTheRemoteExitCodeAndTheTimeoutCode(string runner)
    {
        var cli = UserCli.Of(runner);
        await using var server = await TestServer.StartAsync(o => o.Exec.Enabled = true);
        var home = TempDirectory.Create("ferry-home");
        var table = await TableAsync(cli, home);
        var target = $"127.0.0.1:{server.EndPoint.Port}";

        var seven = await cli.RunAsync(["exec", target, .. server.ClientArgs, "--", "sh", "-c", "echo out; exit 7"], home, Deadline);
        Assert.True(seven.ExitCode == 7, $"exited {seven.ExitCode}:\n{seven.StdErr}");
        Assert.Equal("out\n", seven.StdOut);

        var slow = await cli.RunAsync(["exec", target, .. server.ClientArgs, "--timeout", "0.5", "--", "sleep", "30"], home, Deadline);
        Assert.True(slow.ExitCode == table.CodeFor("timed out"), $"exited {slow.ExitCode}:\n{slow.StdErr}");
        OneErrorLine(slow, "exec past its --timeout");
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task RemoteStderrArrivesOnStderr(string runner)
    {
        var cli = UserCli.Of(runner);
        await using var server = await TestServer.StartAsync(o => o.Exec.Enabled = true);
        var home = TempDirectory.Create("ferry-home");
        var run = await cli.RunAsync(["exec", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "--", "ls /nonexistent"], home, Deadline);
        Assert.Equal(2, run.ExitCode); // ls's own code for a missing operand
        Assert.Equal("", run.StdOut);
        Assert.Contains("/nonexistent", run.StdErr, StringComparison.Ordinal);
        Assert.Matches("^ls: ", run.StdErr);
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task SigintEndsARunningCommandWithTheInterruptedCode(string runner)
    {
        var cli = UserCli.Of(runner);
        await using var server = await TestServer.StartAsync(o => o.Exec.Enabled = true);
        var home = TempDirectory.Create("ferry-home");
        var table = await TableAsync(cli, home);
        using var process = cli.Start(["exec", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "--no-stdin", "--", "echo started; exec sleep 60"], home);
        try
        {
            var stderr = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(Deadline);
            Assert.Equal("started", await process.StandardOutput.ReadLineAsync(deadline.Token));
            await SignalAsync(process.Id, "INT");
            await process.WaitForExitAsync(deadline.Token);
            Assert.True(process.ExitCode == table.CodeFor("interrupted"), $"exited {process.ExitCode}:\n{await stderr}");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    internal static async Task SignalAsync(int pid, string signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>A loopback port nobody listens on: bound, then released (nothing else on this machine takes ports at random).</summary>
    internal static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A fact that needs the launcher's build (artifacts/cli); skipped with the reason when it is absent.</summary>
public sealed class LauncherFactAttribute : FactAttribute
{
    public LauncherFactAttribute()
    {
        if (UserCli.LauncherMissing is { } why) Skip = why;
    }
}

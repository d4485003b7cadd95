using System.Globalization;
using System.Text.Json;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Exec;

namespace Ferry.Tests.Processes;

/// <summary>
/// Issue 17 item 4, through the real ferry: a Host alias in $FERRY_HOME/config is a target for every command that
/// takes one, the command line wins over the file, <c>ferry config show</c> prints what a host resolves to, and a
/// malformed file is one line naming the file and line, exit 2.
/// </summary>
public sealed class HostAliasTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static string HomeWithConfig(string config)
    {
        var home = TempDirectory.Create("ferry-home");
        File.WriteAllText(Path.Combine(home, "config"), config);
        return home;
    }

    // The alias carries everything the connection needs: address, port and key file (whose folder holds the
    // server's certificate, so it is trusted on loopback).
    private static string WorkAlias(TestServer server) => $"""
        # written by hand
        Host work w
          HostName 127.0.0.1
          Port {server.EndPoint.Port.ToString(CultureInfo.InvariantCulture)}
          KeyFile "{server.KeyFile}"

        Host *
          AcceptNew no
        """;

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task EveryCommandThatTakesAHostTakesAnAlias(string runner)
    {
        await using var server = await ExecTestServer.StartAsync();
        var cli = UserCli.Of(runner);
        var home = HomeWithConfig(WorkAlias(server));

        var exec = await cli.RunAsync(["exec", "work", "--", "echo", "hi from work"], home, Deadline);
        Assert.True(exec.ExitCode == 0, exec.StdErr);
        Assert.Equal("hi from work\n", exec.StdOut);

        var echo = await cli.RunAsync(["echo", "w", "hello"], home, Deadline);
        Assert.Equal((0, "hello\n"), (echo.ExitCode, echo.StdOut));

        File.WriteAllText(Path.Combine(home, "note.txt"), "a note");
        var put = await cli.RunAsync(["put", "work", Path.Combine(home, "note.txt")], home, Deadline);
        Assert.True(put.ExitCode == 0, put.StdErr);
        var ls = await cli.RunAsync(["ls", "work", "--json"], home, Deadline);
        Assert.True(ls.ExitCode == 0, ls.StdErr);
        Assert.Contains("note.txt", ls.StdOut, StringComparison.Ordinal);
        var stats = await cli.RunAsync(["stats", "work", "--json"], home, Deadline);
        Assert.True(stats.ExitCode == 0, stats.StdErr);
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task TheCommandLineWinsOverTheFile(string runner)
    {
        await using var server = await ExecTestServer.StartAsync();
        await using var other = await ExecTestServer.StartAsync();
        var cli = UserCli.Of(runner);
        var home = HomeWithConfig(WorkAlias(server));

        // A typed port replaces the alias's; --key-file replaces its KeyFile (here with the other server's key).
        var exec = await cli.RunAsync(["exec", $"work:{other.EndPoint.Port}", "--key-file", other.KeyFile, "--", "echo", "other"], home, Deadline);
        Assert.True(exec.ExitCode == 0, exec.StdErr);
        Assert.Equal("other\n", exec.StdOut);

        // And a wrong --key-file is named as the option, not as the file's KeyFile.
        var wrong = await cli.RunAsync(["echo", "work", "hi", "--key-file", Path.Combine(home, "missing.key")], home, Deadline);
        Assert.Equal(2, wrong.ExitCode);
        Assert.StartsWith("ferry: --key-file: ", wrong.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task ConfigShowPrintsTheEffectiveSettings(string runner)
    {
        var cli = UserCli.Of(runner);
        var home = HomeWithConfig("Host work\n  HostName 10.0.0.5\n  Port 7000\n  User alice\nHost *\n  AcceptNew yes\n");

        var text = await cli.RunAsync(["config", "show", "work"], home, Deadline);
        Assert.True(text.ExitCode == 0, text.StdErr);
        Assert.Contains("work: connects to 10.0.0.5:7000", text.StdOut, StringComparison.Ordinal);
        Assert.Matches(@"User\s+alice\s+from .*config:4", text.StdOut);
        Assert.Matches(@"AcceptNew\s+yes\s+from .*config:6", text.StdOut);

        var json = await cli.RunAsync(["config", "show", "work:7001", "--json"], home, Deadline);
        Assert.True(json.ExitCode == 0, json.StdErr);
        using var doc = JsonDocument.Parse(json.StdOut);
        var root = doc.RootElement;
        Assert.Equal(("10.0.0.5:7001", 7001, "alice", true, false), (root.GetProperty("target").GetString(), root.GetProperty("port").GetInt32(),
            root.GetProperty("user").GetString(), root.GetProperty("acceptNew").GetBoolean(), root.GetProperty("plaintext").GetBoolean()));

        var all = await cli.RunAsync(["config", "show", "--json"], home, Deadline);
        using var list = JsonDocument.Parse(all.StdOut);
        Assert.Equal(["work"], list.RootElement.GetProperty("hosts").EnumerateArray().Select(h => h.GetProperty("alias").GetString()));
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task AMalformedFileIsOneLineNamingTheFileAndLine(string runner)
    {
        var cli = UserCli.Of(runner);
        var home = HomeWithConfig("Host work\n  HostName 10.0.0.5\n\n  Hostname2 10.0.0.6\n");
        foreach (string[] args in new[] { new[] { "exec", "work", "--", "true" }, ["ls", "anywhere"], ["config", "show"] })
        {
            var run = await cli.RunAsync(args, home, Deadline);
            Assert.Equal(2, run.ExitCode);
            var line = Assert.Single(run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal($"ferry: {Path.Combine(home, "config")}:4: unknown setting 'Hostname2' (expected Host, HostName, Port, User, KeyFile, Plaintext, AcceptNew)", line);
        }
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Ferry.Cli;
using Ferry.Cli.Infrastructure;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Exec;

namespace Ferry.Tests.Cli;

/// <summary>
/// The command-line conventions a user meets, run through the built ferry program as a process (<see cref="CliBinary"/>):
/// a mistake is one line on stderr naming it and exit 2; 'ferry help CMD' works; sizes and durations take units;
/// each short flag means one thing in every command.
/// </summary>
public class ParserConventionTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task AnUnknownOptionIsOneLineNamingItAndExit2()
    {
        // A real server: before, 'ls HOST --bogus' connected and asked for a folder named '--bogus'.
        await using var server = await TestServer.StartAsync();
        var home = TempDirectory.Create("ferry-home");
        var result = await CliBinary.RunAsync(["ls", $"127.0.0.1:{server.EndPoint.Port}", "--bogus", .. server.ClientArgs], home, Deadline);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.StdOut);
        var line = Assert.Single(Lines(result.StdErr));
        Assert.Equal("ferry ls: unknown option '--bogus' (see 'ferry ls --help')", line);
    }

    [Theory]
    [InlineData("--bogus", "mkdir", "127.0.0.1:9", "a", "--bogus")] // past the last argument: System.CommandLine's own error, reworded
    [InlineData("--bogus", "--bogus")]
    [InlineData("-r", "chat", "127.0.0.1:9", "-r", "lobby")] // -r is recursive only; chat's room is --room
    [InlineData("-x", "rm", "127.0.0.1:9", "-x")]
    [InlineData("-n", "exec", "127.0.0.1:9", "-n", "--", "true")] // -n is a count; ssh's -n is --no-stdin here
    public async Task EveryUnknownOptionIsOneLineAndExit2(string unknown, params string[] args)
    {
        var result = await CliBinary.RunAsync(args, TempDirectory.Create("ferry-home"), Deadline);
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(Lines(result.StdErr));
        Assert.Contains($"unknown option '{unknown}'", line, StringComparison.Ordinal);
        Assert.Contains("--help')", line, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
    }

    [Theory]
    [InlineData("bench", "put", "127.0.0.1:9", "--size", "12Q")]
    [InlineData("bench", "echo", "127.0.0.1:9", "--connections", "many")]
    [InlineData("exec", "127.0.0.1:9", "--timeout", "soon", "--", "true")]
    [InlineData("serve", "--chat-max-text", "1.5.2k")]
    public async Task ABadValueIsOneLineWithoutDotNetTypeNamesAndExit2(params string[] args)
    {
        var result = await CliBinary.RunAsync(args, TempDirectory.Create("ferry-home"), Deadline);
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(Lines(result.StdErr));
        Assert.DoesNotContain("System.", line, StringComparison.Ordinal);
        var value = args[Array.FindIndex(args, a => a.StartsWith("--", StringComparison.Ordinal)) + 1];
        Assert.Contains($"'{value}'", line, StringComparison.Ordinal);
        Assert.StartsWith($"ferry {args[0]}", line, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
    }

    [Fact]
    public async Task AMissingArgumentIsOneLineAndExit2()
    {
        var result = await CliBinary.RunAsync(["ls"], TempDirectory.Create("ferry-home"), Deadline);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("ferry ls: missing TARGET (see 'ferry ls --help')", Assert.Single(Lines(result.StdErr)));
    }

    [Fact]
    public async Task HelpCommandShowsTheCommandsHelp()
    {
        var home = TempDirectory.Create("ferry-home");
        var help = await CliBinary.RunAsync(["help", "ls"], home, Deadline);
        Assert.Equal(0, help.ExitCode);
        Assert.Equal("", help.StdErr);
        Assert.Contains("ferry ls <TARGET>", help.StdOut, StringComparison.Ordinal);
        var same = await CliBinary.RunAsync(["ls", "--help"], home, Deadline);
        Assert.Equal(same.StdOut, help.StdOut);

        var nested = await CliBinary.RunAsync(["help", "bench", "echo"], home, Deadline);
        Assert.Equal(0, nested.ExitCode);
        Assert.Contains("ferry bench echo <TARGET>", nested.StdOut, StringComparison.Ordinal);

        var unknown = await CliBinary.RunAsync(["help", "nope"], home, Deadline);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal("ferry help: unknown command 'nope' (see 'ferry --help')", Assert.Single(Lines(unknown.StdErr)));
    }

    [Fact]
    public async Task FerryAlonePrintsAShortHelpAndExits0()
    {
        var result = await CliBinary.RunAsync([], TempDirectory.Create("ferry-home"), Deadline);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.StdErr);
        Assert.StartsWith("usage: ferry COMMAND", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("  put ", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("ferry help COMMAND", result.StdOut, StringComparison.Ordinal);
        Assert.True(Lines(result.StdOut).Length < 30, result.StdOut);

        var group = await CliBinary.RunAsync(["bench"], TempDirectory.Create("ferry-home"), Deadline);
        Assert.Equal(0, group.ExitCode);
        Assert.Equal("", group.StdErr);
        Assert.Contains("ferry bench [command]", group.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SizesTakeUnits()
    {
        await using var server = await TestServer.StartAsync();
        var home = TempDirectory.Create("ferry-home");
        var result = await CliBinary.RunAsync(["bench", "put", $"127.0.0.1:{server.EndPoint.Port}", "--size", "64k", "--json", .. server.ClientArgs], home, Deadline);
        Assert.True(result.ExitCode == 0, result.StdErr);
        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal(65536, json.RootElement.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task DurationsTakeUnits()
    {
        await using var server = await ExecTestServer.StartAsync();
        var home = TempDirectory.Create("ferry-home");
        var clock = Stopwatch.StartNew();
        // 250ms, not 250 s: the command is killed long before the 30 s deadline.
        var result = await CliBinary.RunAsync(["exec", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "--timeout", "250ms", "--", "sleep 20"], home, Deadline);
        Assert.True(result.ExitCode == 124, $"exit {result.ExitCode}: {result.StdErr}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("4096", 4096L)]
    [InlineData("0", 0L)]
    [InlineData("64k", 65536L)]
    [InlineData("64K", 65536L)]
    [InlineData("64KiB", 65536L)]
    [InlineData("512MiB", 512L * 1024 * 1024)]
    [InlineData("512M", 512L * 1024 * 1024)]
    [InlineData("1G", 1L << 30)]
    [InlineData("1g", 1L << 30)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("2T", 2L << 40)]
    [InlineData("1.5k", 1536L)]
    [InlineData("100B", 100L)]
    [InlineData("1kB", 1000L)]
    [InlineData("1MB", 1_000_000L)]
    [InlineData("1GB", 1_000_000_000L)]
    [InlineData(" 8k ", 8192L)]
    public void SizesParse(string text, long bytes)
    {
        Assert.True(Sizes.TryParse(text, out var parsed, out var error), error);
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("k")]
    [InlineData("-1")]
    [InlineData("1X")]
    [InlineData("1.5.2k")]
    [InlineData("0.5")] // half a byte
    [InlineData("9999999T")] // past long
    [InlineData("1e3")]
    public void BadSizesAreRefused(string text)
    {
        Assert.False(Sizes.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("30", 30_000)]
    [InlineData("0.5", 500)]
    [InlineData("250ms", 250)]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5s", 1500)]
    [InlineData("2H", 7_200_000)]
    public void DurationsParse(string text, long milliseconds)
    {
        Assert.True(Durations.TryParse(text, TimeSpan.FromSeconds(1), out var parsed, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), parsed);
    }

    [Fact]
    public void APlainNumberIsInTheOptionsOwnUnit()
    {
        Assert.True(Durations.TryParse("7", TimeSpan.FromDays(1), out var days, out _));
        Assert.Equal(TimeSpan.FromDays(7), days);
        Assert.True(Durations.TryParse("12h", TimeSpan.FromDays(1), out var hours, out _));
        Assert.Equal(TimeSpan.FromHours(12), hours);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("-5s")]
    [InlineData("5x")]
    [InlineData("1m30")] // a number in a sum without its unit
    [InlineData("5 minutes")]
    [InlineData("1e400s")]
    public void BadDurationsAreRefused(string text)
    {
        Assert.False(Durations.TryParse(text, TimeSpan.FromSeconds(1), out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void ANameStartingWithADashGoesAfterTheDoubleDash()
    {
        var root = Program.BuildRoot(CliContext.FromProcess());
        Assert.Equal("ferry rm: unknown option '-odd' (see 'ferry rm --help')", UsageErrors.Describe(root.Parse(["rm", "h", "-odd"])));
        Assert.Null(UsageErrors.Describe(root.Parse(["rm", "h", "--", "-odd"])));
        Assert.Null(UsageErrors.Describe(root.Parse(["get", "h", "x", "--to", "-"]))); // '-' alone is a name (stdout)
        Assert.Null(UsageErrors.Describe(root.Parse(["exec", "h", "--", "sort", "-r"])));
        Assert.Equal("ferry exec: unknown option '-r'; put the remote command after '--' (see 'ferry exec --help')",
            UsageErrors.Describe(root.Parse(["exec", "h", "sort", "-r"])));
        Assert.Null(UsageErrors.Describe(root.Parse(["ls", "h", "--bogus", "--help"]))); // help wins, as in git
    }

    // The one meaning of each short flag (README, 'Short flags'). A command may use a short flag only for an option
    // listed here, so a new '-r' for '--rate' fails this test instead of reaching users.
    private static readonly Dictionary<string, string[]> ShortFlags = new()
    {
        ["-r"] = ["--recursive"],
        ["-f"] = ["--force"],
        ["-q"] = ["--quiet"],
        ["-p"] = ["--parents"],
        ["-n"] = ["--count", "--samples"],
        ["-c"] = ["--connections", "--clients", "--concurrency"],
        ["-k"] = ["--inflight"],
        ["-s"] = ["--size"],
        ["-d"] = ["--duration"],
        ["-t"] = ["--tty"],
        ["-T"] = ["--no-tty"],
        ["-v"] = ["--verbose"],
        ["-h"] = ["--help"],
        ["-?"] = ["--help"],
        ["-C"] = ["--cwd"],
        ["-e"] = ["--env"],
        ["-l"] = ["--listen"],
        ["-u"] = ["--upper"],
        ["-m"] = ["--mask"],
        ["-b"] = ["--bits"],
        ["-L"] = ["--local"],
        ["-R"] = ["--remote"],
        ["-D"] = ["--dynamic"],
        ["-z"] = ["--compress"],
    };

    [Fact]
    public void EachShortFlagMeansOneThingInEveryCommand()
    {
        var root = Program.BuildRoot(CliContext.FromProcess());
        var wrong = new List<string>();
        void Visit(Command command, string path)
        {
            foreach (var option in command.Options)
            {
                foreach (var alias in option.Aliases.Where(a => a.Length == 2 && a[0] == '-'))
                {
                    if (!ShortFlags.TryGetValue(alias, out var meanings) || !meanings.Contains(option.Name))
                        wrong.Add($"{path}: {alias} is {option.Name}");
                }
            }
            foreach (var sub in command.Subcommands) Visit(sub, $"{path} {sub.Name}");
        }
        Visit(root, "ferry");
        Assert.Empty(wrong);
    }
}

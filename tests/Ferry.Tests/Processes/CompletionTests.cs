using System.Globalization;
using Ferry.Cli;
using Ferry.Cli.Infrastructure;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Processes;

/// <summary>
/// Issue 17 item 5: <c>ferry completion bash</c> loaded into a real bash, its completion function called the way
/// bash calls it (COMP_WORDS, COMP_LINE, COMP_POINT), completes commands, options, host aliases from the config
/// file and remote paths listed from a real server.
/// </summary>
public sealed class CompletionTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static async Task<string[]> CompleteInBashAsync(UserCli cli, string home, string line)
    {
        var script = await cli.RunAsync(["completion", "bash"], home, Deadline);
        Assert.True(script.ExitCode == 0, script.StdErr);
        var file = Path.Combine(home, "ferry.bash");
        File.WriteAllText(file, script.StdOut);
        // The words as bash splits them; the program is the ferry being completed.
        var words = line.Split(' ');
        words[0] = cli.Executable;
        var fullLine = string.Join(' ', words);
        var program = $"""
            source {UserCli.ShellQuote(file)}
            complete -p ferry >/dev/null || exit 9
            COMP_WORDS=({string.Join(' ', words.Select(UserCli.ShellQuote))})
            COMP_CWORD={(words.Length - 1).ToString(CultureInfo.InvariantCulture)}
            COMP_LINE={UserCli.ShellQuote(fullLine)}
            COMP_POINT=${"{"}#COMP_LINE{"}"}
            _ferry_complete
            printf '%s\n' "${"{"}COMPREPLY[@]{"}"}"
            """;
        // The listing's own 2 s budget is for people at a prompt; a loaded test machine gets more, so only behaviour is tested.
        var environment = new Dictionary<string, string>(cli.Environment) { ["FERRY_HOME"] = home, ["FERRY_COMPLETION_TIMEOUT"] = "30" };
        var run = await ProcessRunner.RunAsync("bash", ["--norc", "--noprofile", "-c", program], Deadline, "", environment);
        Assert.True(run.ExitCode == 0, $"bash exited {run.ExitCode}: {run.StdErr}");
        return run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task BashCompletesCommandsOptionsAndAliases(string runner)
    {
        var cli = UserCli.Of(runner);
        var home = TempDirectory.Create("ferry-home");
        File.WriteAllText(Path.Combine(home, "config"), "Host work\n  HostName 10.0.0.5\nHost workshop\n  Port 7001\nHost *.lan\n  Plaintext yes\n");

        Assert.Equal(["exec"], await CompleteInBashAsync(cli, home, "ferry ex"));
        Assert.Equal(["work", "workshop"], await CompleteInBashAsync(cli, home, "ferry exec wo"));
        Assert.Equal(["--recursive"], await CompleteInBashAsync(cli, home, "ferry ls --rec"));
        Assert.Equal(["bash", "fish", "pwsh", "zsh"], await CompleteInBashAsync(cli, home, "ferry completion "));
        Assert.Equal(["show"], await CompleteInBashAsync(cli, home, "ferry config s"));
        // After '--' the words are the remote command's: nothing is offered (bash falls back to file names).
        Assert.Empty(await CompleteInBashAsync(cli, home, "ferry exec work -- ec"));
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task BashCompletesRemotePathsFromTheServer(string runner)
    {
        await using var server = await TestServer.StartAsync();
        var root = Path.Combine(server.DataDirectory, "files");
        Directory.CreateDirectory(Path.Combine(root, "backup", "photos"));
        File.WriteAllText(Path.Combine(root, "backup", "photo.jpg"), "x");
        File.WriteAllText(Path.Combine(root, "readme.txt"), "y");
        var cli = UserCli.Of(runner);
        var home = TempDirectory.Create("ferry-home");
        File.WriteAllText(Path.Combine(home, "config"),
            $"Host box\n  HostName 127.0.0.1\n  Port {server.EndPoint.Port.ToString(CultureInfo.InvariantCulture)}\n  KeyFile \"{server.KeyFile}\"\n");

        Assert.Equal(["backup/photo.jpg", "backup/photos/"], await CompleteInBashAsync(cli, home, "ferry get box backup/ph"));
        Assert.Equal(["backup/", "readme.txt"], await CompleteInBashAsync(cli, home, "ferry ls box "));
        Assert.Equal(["readme.txt"], await CompleteInBashAsync(cli, home, "ferry rm box -r re"));
    }

    [Fact]
    public void TheLineIsSplitLikeAShellDoesAndTheLastWordIsTheOneBeingTyped()
    {
        Assert.Equal(["exec", "work", ""], CommandLineCompleter.Split("ferry exec work "));
        Assert.Equal(["get", "box", "my folder/a"], CommandLineCompleter.Split("ferry get box 'my folder'/a"));
        Assert.Equal(["get", "box", "my folder/"], CommandLineCompleter.Split("ferry get box my\\ folder/"));
        Assert.Equal([""], CommandLineCompleter.Split("ferry "));
    }

    [Fact]
    public void AnOptionsValueIsNotTakenForTheTarget()
    {
        var root = Program.BuildRoot(CliContext.FromProcess());
        var at = new CommandLineCompleter(root).Locate(CommandLineCompleter.Split("ferry ls --key-file k.key box ba"));
        Assert.Equal(("ls", "REMOTE_DIR", "ba"), (at.Command.Name, at.Argument?.Name, at.Current));
        Assert.Equal(["box"], at.Positionals);
    }
}

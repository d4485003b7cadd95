using System.Globalization;
using Ferry.Cli;
using Ferry.Cli.Infrastructure;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Processes;

/// <summary>
/// Issue 17 item 5: <c>ferry completion bash</c> loaded into a real bash, its completion function called the way
/// bash calls it (COMP_WORDS, COMP_LINE, COMP_POINT), completes commands, options, host aliases from the config
/// file and remote paths listed from a real server; <c>ferry completion fish</c> asked through fish's own
/// <c>complete -C</c>, and <c>ferry completion zsh</c> in an interactive zsh on a tmux terminal, Tab pressed.
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

    /// <summary>
    /// A folder holding <c>ferry</c>, for a shell's PATH: the scripts complete the command by that name. A one-line
    /// script rather than a link, because the launcher finds its checkout from its own path.
    /// </summary>
    private static string FerryOnPath(UserCli cli, string home)
    {
        var bin = Path.Combine(home, "bin");
        Directory.CreateDirectory(bin);
        var ferry = Path.Combine(bin, "ferry");
        File.WriteAllText(ferry, $"#!/bin/sh\nexec {UserCli.ShellQuote(cli.Executable)} \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(ferry, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }

    private static Dictionary<string, string> ShellEnvironment(UserCli cli, string home) => new(cli.Environment)
    {
        ["FERRY_HOME"] = home,
        ["FERRY_COMPLETION_TIMEOUT"] = "30",
        ["PATH"] = FerryOnPath(cli, home) + ":" + System.Environment.GetEnvironmentVariable("PATH"),
        ["HOME"] = home, // no user's fish or zsh start-up files
    };

    private static async Task<string[]> CompleteInFishAsync(UserCli cli, string home, Dictionary<string, string> environment, string line)
    {
        var script = await cli.RunAsync(["completion", "fish"], home, Deadline);
        Assert.True(script.ExitCode == 0, script.StdErr);
        var file = Path.Combine(home, "ferry.fish");
        File.WriteAllText(file, script.StdOut);
        var program = $"source {UserCli.ShellQuote(file)}; complete -C {UserCli.ShellQuote(line)}";
        var run = await ProcessRunner.RunAsync("fish", ["--no-config", "-c", program], Deadline, "", environment);
        Assert.True(run.ExitCode == 0, $"fish exited {run.ExitCode}: {run.StdErr}");
        // complete -C prints "candidate<TAB>description"; ours have no description.
        return run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]).Order(StringComparer.Ordinal).ToArray();
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task FishCompletesCommandsOptionsAliasesAndRemotePaths(string runner)
    {
        Assert.True(ProcessRunner.Exists("fish"), "fish is missing: run tests/install-peers.sh");
        await using var server = await TestServer.StartAsync();
        var root = Path.Combine(server.DataDirectory, "files");
        Directory.CreateDirectory(Path.Combine(root, "backup", "photos"));
        File.WriteAllText(Path.Combine(root, "backup", "photo.jpg"), "x");
        var cli = UserCli.Of(runner);
        var home = TempDirectory.Create("ferry-home");
        File.WriteAllText(Path.Combine(home, "config"), "Host work\n  HostName 10.0.0.5\nHost workshop\n  Port 7001\n" +
            $"Host box\n  HostName 127.0.0.1\n  Port {server.EndPoint.Port.ToString(CultureInfo.InvariantCulture)}\n  KeyFile \"{server.KeyFile}\"\n");
        var environment = ShellEnvironment(cli, home);

        Assert.Equal(["exec"], await CompleteInFishAsync(cli, home, environment, "ferry ex"));
        Assert.Equal(["work", "workshop"], await CompleteInFishAsync(cli, home, environment, "ferry exec wo"));
        Assert.Equal(["--recursive"], await CompleteInFishAsync(cli, home, environment, "ferry ls --rec"));
        Assert.Equal(["backup/photo.jpg", "backup/photos/"], await CompleteInFishAsync(cli, home, environment, "ferry get box backup/ph"));
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task ZshCompletesOnTabInARealTerminal(string runner)
    {
        Assert.True(ProcessRunner.Exists("zsh"), "zsh is missing: run tests/install-peers.sh");
        var cli = UserCli.Of(runner);
        var home = TempDirectory.Create("ferry-home");
        File.WriteAllText(Path.Combine(home, "config"), "Host work\n  HostName 10.0.0.5\nHost workshop\n  Port 7001\n");
        var environment = ShellEnvironment(cli, home);
        // What a user puts in ~/.zshrc, as the README says: compinit, then the script.
        File.WriteAllText(Path.Combine(home, ".zshrc"), "PS1='zsh> '\nautoload -U compinit && compinit -u\neval \"$(ferry completion zsh)\"\n");
        var exports = string.Join(' ', environment.Select(e => $"{e.Key}={UserCli.ShellQuote(e.Value)}"));
        await using var terminal = await TmuxTerminal.StartAsync($"env {exports} ZDOTDIR={UserCli.ShellQuote(home)} zsh -i");
        await terminal.WaitForAsync("zsh>"); // a screen line's trailing blanks are not kept

        await terminal.TypeAsync("ferry ex");
        await terminal.KeysAsync("Tab");
        await terminal.WaitForAsync("zsh> ferry exec");
        // Two aliases share the prefix: the first Tab inserts it, the second lists both.
        await terminal.TypeAsync("wo");
        await terminal.KeysAsync("Tab");
        await terminal.WaitForAsync("zsh> ferry exec work");
        await terminal.KeysAsync("Tab");
        var screen = await terminal.WaitForAsync(s => s.Contains("workshop", StringComparison.Ordinal), "the aliases listed");
        Assert.Contains("work", screen.Replace("workshop", "", StringComparison.Ordinal), StringComparison.Ordinal);
        // Ctrl+C abandons the line; the next is typed only once zsh shows a fresh, empty prompt.
        await terminal.KeysAsync("C-c");
        await terminal.WaitForAsync(s => s.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).LastOrDefault() == "zsh>",
            "a fresh prompt");
        await terminal.TypeAsync("ferry completion ");
        await terminal.KeysAsync("Tab");
        await terminal.WaitForAsync(s => s.Contains("fish", StringComparison.Ordinal) && s.Contains("pwsh", StringComparison.Ordinal), "the shells listed");
    }
}

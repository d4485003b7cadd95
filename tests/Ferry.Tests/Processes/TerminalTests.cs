using System.Text.RegularExpressions;
using Ferry.Client;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Processes;

/// <summary>
/// ferry on a real terminal (tmux), started by the launcher and as the binary: the questions it asks a person
/// (trust a new server? the password?) appear and can be answered, Ctrl-C interrupts, and the progress bar fits.
/// </summary>
public class TerminalTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>One tmux session running one shell command line; it prints "[exit N]" when the command ends.</summary>
    private sealed class Terminal : IAsyncDisposable
    {
        private readonly string _session = "ferry-pt-" + Guid.NewGuid().ToString("N")[..8];

        public int Width { get; private init; }

        public static async Task<Terminal> StartAsync(string commandLine, int width = 100, int height = 30)
        {
            Assert.True(ProcessRunner.Exists("tmux"), "tmux is missing: run .ci/install-deps");
            var terminal = new Terminal { Width = width };
            // 'read' keeps the pane (and its last screen) after the command ends, until the session is killed.
            var started = await TmuxAsync("new-session", "-d", "-s", terminal._session, "-x", $"{width}", "-y", $"{height}",
                $"{commandLine}; echo \"[exit $?]\"; read ignored");
            Assert.True(started.ExitCode == 0, started.StdErr);
            return terminal;
        }

        public Task TypeAsync(string text) => TmuxAsync("send-keys", "-t", _session, "-l", text);

        public Task KeysAsync(params string[] keys) => TmuxAsync(["send-keys", "-t", _session, .. keys]);

        /// <summary>The screen with lines the terminal wrapped joined back (-J), so a line too long for it shows as one.</summary>
        public async Task<string> ScreenAsync(bool joined = false) =>
            (await TmuxAsync(joined ? ["capture-pane", "-t", _session, "-p", "-J"] : ["capture-pane", "-t", _session, "-p"])).StdOut;

        public async Task<string> WaitForAsync(Func<string, bool> done, string what)
        {
            using var deadline = new CancellationTokenSource(Deadline);
            string screen = "";
            while (!deadline.IsCancellationRequested)
            {
                screen = await ScreenAsync();
                if (done(screen)) return screen;
                await Task.Delay(100); // polling the screen: tmux has no way to notify
            }
            throw new Xunit.Sdk.XunitException($"the terminal never showed {what}; it shows:\n{screen}");
        }

        public Task<string> WaitForAsync(string text) => WaitForAsync(s => s.Contains(text, StringComparison.Ordinal), $"'{text}'");

        /// <summary>Waits for the command to end and returns its exit code.</summary>
        public async Task<int> ExitCodeAsync()
        {
            var screen = await WaitForAsync(s => Regex.IsMatch(s, @"\[exit \d+\]"), "the command ending");
            return int.Parse(Regex.Match(screen, @"\[exit (\d+)\]").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        public async ValueTask DisposeAsync() => await TmuxAsync("kill-session", "-t", _session);

        private static Task<(int ExitCode, string StdOut, string StdErr)> TmuxAsync(params string[] args) =>
            Tmux.RunAsync(args);
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task ANewServerIsTrustedOnlyAfterTheUserSaysYes(string runner)
    {
        var cli = UserCli.Of(runner);
        await using var server = await TestServer.StartAsync();
        var home = TempDirectory.Create("ferry-home");
        // The key away from the server's folder: the client must not recognise the certificate as its own server's.
        var key = Path.Combine(TempDirectory.Create("ferry-key"), "key");
        File.Copy(server.KeyFile, key);
        string[] echo = ["echo", $"127.0.0.1:{server.EndPoint.Port}", "trusted", "--key-file", key];

        await using (var refused = await Terminal.StartAsync(cli.ShellCommand(echo, home)))
        {
            await refused.WaitForAsync("Trust it and remember it? [y/N]");
            await refused.TypeAsync("n");
            await refused.KeysAsync("Enter");
            Assert.NotEqual(0, await refused.ExitCodeAsync());
            Assert.DoesNotContain("\ntrusted", await refused.ScreenAsync(), StringComparison.Ordinal);
        }

        await using (var accepted = await Terminal.StartAsync(cli.ShellCommand(echo, home)))
        {
            var prompt = await accepted.WaitForAsync("Trust it and remember it? [y/N]");
            Assert.Contains(server.Server.CertificateFingerprint!, prompt.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
            await accepted.TypeAsync("y");
            await accepted.KeysAsync("Enter");
            Assert.Equal(0, await accepted.ExitCodeAsync());
            Assert.Contains("\ntrusted", await accepted.ScreenAsync(), StringComparison.Ordinal);
        }

        // Remembered: no question the second time.
        await using var again = await Terminal.StartAsync(cli.ShellCommand(echo, home));
        Assert.Equal(0, await again.ExitCodeAsync());
        Assert.DoesNotContain("[y/N]", await again.ScreenAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task ThePasswordIsAskedOnTheTerminalWithoutEcho(string runner)
    {
        var cli = UserCli.Of(runner);
        await using var server = await TestServer.StartAsync();
        server.AddUser("alice", "s3cret-pw");
        var home = TempDirectory.Create("ferry-home");
        await using var terminal = await Terminal.StartAsync(cli.ShellCommand(
            ["echo", $"127.0.0.1:{server.EndPoint.Port}", "logged", "in", "--user", "alice", "--accept-new"], home));
        await terminal.WaitForAsync($"Password for alice@127.0.0.1:{server.EndPoint.Port}:");
        await terminal.TypeAsync("s3cret-pw");
        await terminal.KeysAsync("Enter");
        Assert.Equal(0, await terminal.ExitCodeAsync());
        var screen = await terminal.ScreenAsync();
        Assert.Contains("logged in", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", screen, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task CtrlCInterruptsARemoteCommand(string runner)
    {
        var cli = UserCli.Of(runner);
        await using var server = await TestServer.StartAsync(o => o.Exec.Enabled = true);
        var home = TempDirectory.Create("ferry-home");
        await using var terminal = await Terminal.StartAsync(cli.ShellCommand(
            ["exec", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "--", "echo started; exec sleep 60"], home));
        await terminal.WaitForAsync("started");
        await terminal.KeysAsync("C-c");
        Assert.Equal(130, await terminal.ExitCodeAsync());
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task SubnetSaysGreenOnlyWhenItShowsGreen(string runner)
    {
        var cli = UserCli.Of(runner);
        var home = TempDirectory.Create("ferry-home");
        await using (var coloured = await Terminal.StartAsync(cli.ShellCommand(["subnet", "10.1.2.3/24", "--bits"], home)))
        {
            Assert.Equal(0, await coloured.ExitCodeAsync());
            Assert.Contains("marked green", await coloured.ScreenAsync(joined: true), StringComparison.Ordinal);
        }
        await using var plain = await Terminal.StartAsync("NO_COLOR=1 " + cli.ShellCommand(["subnet", "10.1.2.3/24", "--bits"], home));
        Assert.Equal(0, await plain.ExitCodeAsync());
        var screen = await plain.ScreenAsync(joined: true);
        Assert.Contains("bits are the network", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("green", screen, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(UserCli.Available), MemberType = typeof(UserCli))]
    public async Task TheProgressOfAFileWithALongNameFitsTheTerminal(string runner)
    {
        var cli = UserCli.Of(runner);
        await using var server = await TestServer.StartAsync();
        var home = TempDirectory.Create("ferry-home");
        var name = "a-file-whose-name-is-much-longer-than-the-terminal-is-wide-" + new string('x', 60) + "-end.bin";
        var local = Path.Combine(TempDirectory.Create("ferry-src"), name);
        await File.WriteAllBytesAsync(local, new byte[8 * 1024 * 1024]);
        await (await server.ConnectAsync()).UploadAsync(local, name);
        // Downloaded to stdout, into a pipe nobody reads until the flag appears: 8 MiB do not fit a pipe, so ferry
        // waits mid-transfer with its progress on the terminal for as long as the test looks at it.
        var flag = Path.Combine(home, "drain");
        await using var terminal = await Terminal.StartAsync(
            $"{cli.ShellCommand(["get", $"127.0.0.1:{server.EndPoint.Port}", name, "--to", "-", .. server.ClientArgs], home)}" +
            $" | {{ while [ ! -e {UserCli.ShellQuote(flag)} ]; do sleep 0.1; done; cat >/dev/null; }}", width: 80);
        var screen = await terminal.WaitForAsync(s => s.Contains("-end.bin", StringComparison.Ordinal), "the progress with the file's name");
        var joined = await terminal.ScreenAsync(joined: true);
        var tooLong = joined.Split('\n').Where(l => l.TrimEnd().Length > terminal.Width).ToList();
        Assert.True(tooLong.Count == 0, $"lines wider than the {terminal.Width}-column terminal (wrapped):\n{string.Join('\n', tooLong)}\nscreen:\n{joined}");
        var nameLine = joined.Split('\n').Single(l => l.Contains("-end.bin", StringComparison.Ordinal));
        Assert.Contains("a-file-whose-name", nameLine, StringComparison.Ordinal); // shortened in the middle: both ends show
        Assert.Contains("%", joined, StringComparison.Ordinal);
        await File.WriteAllTextAsync(flag, "");
        await terminal.WaitForAsync("received 1 file");
        Assert.Equal(0, await terminal.ExitCodeAsync());
    }
}

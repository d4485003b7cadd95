using System.Globalization;
using System.Text.RegularExpressions;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Exec;

namespace Ferry.Tests.Processes;

/// <summary>
/// <c>ferry shell</c> on a real terminal (tmux), through the real ferry process, against a real remote terminal: the
/// full-screen programs people run over ssh work, keys and window sizes reach the remote side, and the local
/// terminal's modes (<c>stty -a</c>) are the same after every way out as before the session.
/// </summary>
public class RemoteTerminalTests
{
    /// <summary>A server with exec on, and ferry shell on a tmux terminal with its stty -a saved before and after.</summary>
    private sealed class Session : IAsyncDisposable
    {
        private int _ready;
        private bool _serverStopped;

        private Session(TestServer server, TmuxTerminal terminal, string folder)
        {
            Server = server;
            Terminal = terminal;
            Folder = folder;
        }

        public TestServer Server { get; }

        public TmuxTerminal Terminal { get; }

        /// <summary>A folder of the test's own (local and remote are one machine here).</summary>
        public string Folder { get; }

        public static async Task<Session> StartAsync(Func<TestServer, string[]>? ferryArgs = null)
        {
            var server = await ExecTestServer.StartAsync();
            var folder = TempDirectory.Create("ferry-pty");
            var ferry = UserCli.Of(UserCli.BinaryName).ShellCommand(
                ferryArgs?.Invoke(server) ?? ["shell", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs], TempDirectory.Create("ferry-home"));
            var terminal = await TmuxTerminal.StartAsync($"stty -a > {folder}/before; {ferry}; r=$?; stty -a > {folder}/after; (exit $r)");
            var session = new Session(server, terminal, folder);
            return session;
        }

        /// <summary>Waits until the remote shell answers a command (its prompt is whatever the server's bash shows).</summary>
        public async Task ReadyAsync()
        {
            int n = 1000 + Interlocked.Increment(ref _ready);
            // A full-screen program that just ended may have flushed keys typed ahead (tcsetattr TCSAFLUSH, as vim
            // and top do): if the answer does not come, the line is cleared (Ctrl+U) and typed again.
            for (int attempt = 1; ; attempt++)
            {
                await Terminal.TypeAsync($"echo READY-$((1+{n - 1}))");
                await Terminal.KeysAsync("Enter");
                try
                {
                    await Terminal.WaitForAsync(s => s.Contains($"READY-{n}", StringComparison.Ordinal), $"'READY-{n}'", TimeSpan.FromSeconds(attempt < 5 ? 5 : 30));
                    return;
                }
                catch (Xunit.Sdk.XunitException) when (attempt < 5)
                {
                    await Terminal.KeysAsync("C-u");
                }
            }
        }

        public async Task RunAsync(string commandLine)
        {
            await Terminal.TypeAsync(commandLine);
            await Terminal.KeysAsync("Enter");
        }

        /// <summary>The local terminal's stty -a after ferry ended equals the one before it started.</summary>
        public async Task AssertTerminalRestoredAsync()
        {
            await Terminal.WaitForAsync(s => Regex.IsMatch(s, @"\[exit \d+\]"), "ferry ending");
            // The window's size is not a mode: a test that resized the window changed it on purpose.
            static string Modes(string stty) => Regex.Replace(stty, @"rows \d+; columns \d+; ", "");
            var before = Modes(await File.ReadAllTextAsync(Path.Combine(Folder, "before")));
            var after = Modes(await File.ReadAllTextAsync(Path.Combine(Folder, "after")));
            Assert.Contains("icanon", before, StringComparison.Ordinal);
            Assert.Equal(before, after);
        }

        /// <summary>The pid of ferry itself (the pane's shell's child).</summary>
        public async Task<int> FerryPidAsync()
        {
            int pane = await Terminal.PanePidAsync();
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pane}/task"))
            {
                foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (File.ReadAllText($"/proc/{child}/cmdline").Contains("shell", StringComparison.Ordinal)) return int.Parse(child, CultureInfo.InvariantCulture);
                }
            }
            throw new Xunit.Sdk.XunitException("ferry is not running in the terminal");
        }

        /// <summary>Stops the server while ferry is connected to it.</summary>
        public async Task StopServerAsync()
        {
            _serverStopped = true;
            await Server.DisposeAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await Terminal.DisposeAsync();
            if (!_serverStopped) await Server.DisposeAsync();
        }
    }

    [LinuxFact]
    public async Task VimEditsARemoteFileAndItHoldsTheTextAfterWq()
    {
        Assert.True(ProcessRunner.Exists("vim"), "vim is missing: run tests/install-peers.sh");
        await using var session = await Session.StartAsync();
        await session.ReadyAsync();
        var file = Path.Combine(session.Folder, "notes.txt");
        await session.RunAsync($"vim {file}");
        // vim's own screen: the empty buffer's '~' lines and the status line naming the new file.
        await session.Terminal.WaitForAsync(s => Regex.IsMatch(s, @"^~\s*$", RegexOptions.Multiline) && s.Contains("[New]", StringComparison.Ordinal), "vim's screen");
        await session.Terminal.TypeAsync("ihello from vim");
        await session.Terminal.KeysAsync("Escape");
        await session.Terminal.TypeAsync(":wq");
        await session.Terminal.KeysAsync("Enter");
        await session.ReadyAsync();
        Assert.Equal("hello from vim\n", await File.ReadAllTextAsync(file));
        await session.RunAsync("exit");
        Assert.Equal(0, await session.Terminal.ExitCodeAsync());
        await session.AssertTerminalRestoredAsync();
    }

    [LinuxFact]
    public async Task TopDrawsAndQQuits()
    {
        Assert.True(ProcessRunner.Exists("top"), "top is missing (procps): run tests/install-peers.sh");
        await using var session = await Session.StartAsync();
        await session.ReadyAsync();
        await session.RunAsync("top");
        await session.Terminal.WaitForAsync(s => s.Contains("load average", StringComparison.Ordinal) && s.Contains("PID", StringComparison.Ordinal), "top's screen");
        // top sets its terminal modes after its first screen, flushing keys typed before: 'q' until it has quit.
        for (int attempt = 1; ; attempt++)
        {
            await session.Terminal.TypeAsync("q");
            try
            {
                await session.Terminal.WaitForAsync(s => !s.Contains("load average", StringComparison.Ordinal), "top quitting", TimeSpan.FromSeconds(attempt < 5 ? 3 : 30));
                break;
            }
            catch (Xunit.Sdk.XunitException) when (attempt < 5)
            {
            }
        }
        await session.ReadyAsync();
        await session.RunAsync("exit");
        await session.AssertTerminalRestoredAsync();
    }

    [LinuxFact]
    public async Task ThePythonReplEvaluates6Times7()
    {
        await using var session = await Session.StartAsync();
        await session.ReadyAsync();
        await session.RunAsync("python3 -q");
        await session.Terminal.WaitForAsync(s => Regex.IsMatch(s, @"^>>>", RegexOptions.Multiline), "python's prompt"); // tmux drops trailing spaces
        await session.RunAsync("6*7");
        await session.Terminal.WaitForAsync(s => Regex.IsMatch(s, @"^42\s*$", RegexOptions.Multiline), "42");
        await session.RunAsync("exit()");
        await session.ReadyAsync();
        await session.RunAsync("exit");
        await session.AssertTerminalRestoredAsync();
    }

    [LinuxFact]
    public async Task LessPagesAndQuits()
    {
        await using var session = await Session.StartAsync();
        await session.ReadyAsync();
        var file = Path.Combine(session.Folder, "numbers.txt");
        await File.WriteAllLinesAsync(file, Enumerable.Range(1, 500).Select(i => $"line {i}"));
        await session.RunAsync($"less {file}");
        // One page: the first lines, not the last (a pipe would have dumped the whole file).
        var page = await session.Terminal.WaitForAsync(s => s.Contains("line 1\n", StringComparison.Ordinal) && s.Contains("line 20\n", StringComparison.Ordinal), "less's first page");
        Assert.DoesNotContain("line 500", page, StringComparison.Ordinal);
        await session.Terminal.TypeAsync(" ");
        await session.Terminal.WaitForAsync(s => s.Contains("line 40\n", StringComparison.Ordinal) && !s.Contains("line 2\n", StringComparison.Ordinal), "less's second page");
        await session.Terminal.TypeAsync("q");
        await session.ReadyAsync();
        await session.RunAsync("exit");
        await session.AssertTerminalRestoredAsync();
    }

    [LinuxFact]
    public async Task AWindowResizeIsSeenByTheRemoteSttySizeWithin200Ms()
    {
        await using var session = await Session.StartAsync();
        await session.ReadyAsync();
        await session.RunAsync("stty size");
        await session.Terminal.WaitForAsync("30 100");
        // A remote program that notes when SIGWINCH arrived (wall clock: both ends are this machine) and what stty says then.
        var script = Path.Combine(session.Folder, "winch.py");
        var log = Path.Combine(session.Folder, "winch.log");
        await File.WriteAllTextAsync(script, $$"""
            import signal, subprocess, sys, time
            def seen(*_):
                size = subprocess.run(["stty", "size"], capture_output=True, text=True).stdout.strip()
                with open("{{log}}", "a") as f: f.write(f"{time.time_ns()} {size}\n")
            signal.signal(signal.SIGWINCH, seen)
            print("armed", flush=True)
            while True: time.sleep(1)
            """);
        await session.RunAsync($"python3 {script}");
        await session.Terminal.WaitForAsync("armed");
        long before = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        await session.Terminal.ResizeAsync(120, 40);
        await session.Terminal.WaitForAsync(_ => File.Exists(log) && File.ReadAllText(log).Contains(" 40 120", StringComparison.Ordinal), "the remote side seeing 40 120");
        var seen = File.ReadAllLines(log).First(l => l.EndsWith(" 40 120", StringComparison.Ordinal));
        var latency = TimeSpan.FromTicks((long.Parse(seen.Split(' ')[0], CultureInfo.InvariantCulture) - before) / 100);
        Assert.True(latency < TimeSpan.FromMilliseconds(200), $"the remote side saw the new size after {latency.TotalMilliseconds:0} ms");
        await session.Terminal.KeysAsync("C-c");
        await session.ReadyAsync();
        await session.RunAsync("exit");
        await session.AssertTerminalRestoredAsync();
    }

    [LinuxFact]
    public async Task CtrlCStopsARemoteSleepAndTheShellGoesOn()
    {
        await using var session = await Session.StartAsync();
        await session.ReadyAsync();
        var marker = ProcessTable.Marker();
        await session.RunAsync($"sleep {marker}");
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Sleeps(marker) == 1, TimeSpan.FromSeconds(10)));
        await session.Terminal.KeysAsync("C-c");
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Sleeps(marker) == 0, TimeSpan.FromSeconds(10)));
        await session.ReadyAsync();
        await session.RunAsync("exit");
        await session.AssertTerminalRestoredAsync();
    }

    [LinuxFact]
    public async Task CtrlZAndFgWorkInTheRemoteBash()
    {
        await using var session = await Session.StartAsync();
        await session.ReadyAsync();
        var marker = ProcessTable.Marker();
        await session.RunAsync($"sleep {marker}");
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Sleeps(marker) == 1, TimeSpan.FromSeconds(10)));
        await session.Terminal.KeysAsync("C-z");
        await session.Terminal.WaitForAsync("Stopped");
        Assert.True(await ProcessTable.EventuallyAsync(() => SleepState(marker) == 'T', TimeSpan.FromSeconds(10)), "the sleep is not stopped");
        await session.ReadyAsync(); // the shell is back at its prompt while the job is stopped
        await session.RunAsync("fg");
        Assert.True(await ProcessTable.EventuallyAsync(() => SleepState(marker) == 'S', TimeSpan.FromSeconds(10)), "fg did not resume the sleep");
        await session.Terminal.KeysAsync("C-c");
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Sleeps(marker) == 0, TimeSpan.FromSeconds(10)));
        await session.ReadyAsync();
        await session.RunAsync("exit");
        await session.AssertTerminalRestoredAsync();
    }

    private static char SleepState(string marker)
    {
        foreach (var entry in ProcessTable.Matching(marker))
        {
            var pid = entry.Split(':')[0];
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                return stat[stat.LastIndexOf(')') + 2];
            }
            catch (IOException)
            {
                // Gone.
            }
        }
        return '?';
    }

    [LinuxTheory]
    [InlineData("TERM", 143)]
    [InlineData("HUP", 129)]
    public async Task TheTerminalIsRestoredWhenFerryIsKilled(string signal, int code)
    {
        await using var session = await Session.StartAsync();
        await session.ReadyAsync();
        await session.RunAsync("sleep 1000");
        var kill = await ProcessRunner.RunAsync("kill", [$"-{signal}", (await session.FerryPidAsync()).ToString(CultureInfo.InvariantCulture)]);
        Assert.Equal(0, kill.ExitCode);
        Assert.Equal(code, await session.Terminal.ExitCodeAsync());
        await session.AssertTerminalRestoredAsync();
    }

    [LinuxFact]
    public async Task TheTerminalIsRestoredWhenTheServerGoesAway()
    {
        await using var session = await Session.StartAsync();
        await session.ReadyAsync();
        await session.RunAsync("sleep 1000");
        await session.StopServerAsync();
        Assert.NotEqual(0, await session.Terminal.ExitCodeAsync());
        await session.AssertTerminalRestoredAsync();
    }

    [LinuxFact]
    public async Task TheTerminalIsRestoredWhenTheRemoteCommandEnds()
    {
        await using var exec = await Session.StartAsync(server => ["exec", "-t", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs,
            "--", "test -t 0 && echo on-a-tty; exit 3"]);
        Assert.Equal(3, await exec.Terminal.ExitCodeAsync());
        Assert.Contains("on-a-tty", await exec.Terminal.ScreenAsync(), StringComparison.Ordinal);
        await exec.AssertTerminalRestoredAsync();
    }
}

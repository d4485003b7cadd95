using System.IO.Pipelines;
using System.Text;
using System.Text.RegularExpressions;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Exec;

/// <summary>
/// exec.start with a terminal: a real pseudo-terminal on the server, the command leader of its own session with the
/// terminal as its controlling terminal, its size set and changed, its whole session killed on timeout and disconnect.
/// </summary>
public class PtyExecTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>What the remote terminal printed so far, with a wait for text to appear.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Lives for one test; its semaphore never hands out a wait handle, so there is nothing to release.")]
    private sealed class Screen
    {
        private readonly StringBuilder _text = new();
        private readonly SemaphoreSlim _changed = new(0);

        public ValueTask OnOutput(ReadOnlyMemory<byte> data, CancellationToken _)
        {
            lock (_text) _text.Append(Encoding.UTF8.GetString(data.Span));
            _changed.Release();
            return ValueTask.CompletedTask;
        }

        public string Text
        {
            get
            {
                lock (_text) return _text.ToString();
            }
        }

        public async Task<Match> WaitForAsync(string pattern)
        {
            using var deadline = new CancellationTokenSource(Deadline);
            while (true)
            {
                var match = Regex.Match(Text, pattern);
                if (match.Success) return match;
                try
                {
                    await _changed.WaitAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new Xunit.Sdk.XunitException($"the terminal never printed /{pattern}/; it printed:\n{Text}");
                }
            }
        }
    }

    private static RemoteCommand OnTerminal(string commandLine, Screen screen, RemoteTerminal? terminal = null, Stream? input = null) =>
        new(commandLine)
        {
            Terminal = terminal ?? new RemoteTerminal(80, 24, "xterm-256color"),
            OnStandardOutput = screen.OnOutput,
            OnStandardError = (_, _) => throw new InvalidOperationException("a terminal has one output stream; nothing may come as stderr"),
            StandardInput = input,
        };

    [LinuxFact]
    public async Task TheCommandLeadsANewSessionWithThePtyAsItsControllingTerminal()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var screen = new Screen();
        var exit = await client.ExecAsync(OnTerminal(
            "echo pid=$$ tty=$(tty); ps -o sid=,pgid=,tty= -p $$ | sed 's/^ */ps=/'; test -t 0 && test -t 1 && test -t 2 && echo all-ttys", screen))
            .WaitAsync(Deadline);
        Assert.Equal(0, exit.ExitCode);
        var text = screen.Text;
        var ids = Regex.Match(text, @"pid=(\d+) tty=/dev/(pts/\d+)");
        Assert.True(ids.Success, text);
        var ps = Regex.Match(text, @"ps=(\d+) +(\d+) +(pts/\d+)");
        Assert.True(ps.Success, text);
        Assert.Equal(ids.Groups[1].Value, ps.Groups[1].Value); // session leader: sid = pid
        Assert.Equal(ids.Groups[1].Value, ps.Groups[2].Value); // and leader of its process group
        Assert.Equal(ids.Groups[2].Value, ps.Groups[3].Value); // the pty is its controlling terminal
        Assert.Contains("all-ttys", text, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task OutputIsOneStreamAndTheExitStatusComesBack()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var screen = new Screen();
        var exit = await client.ExecAsync(OnTerminal("echo out; echo err >&2; exit 42", screen)).WaitAsync(Deadline);
        Assert.Equal(42, exit.ExitCode);
        Assert.Null(exit.Signal);
        // The terminal turns \n into \r\n (ONLCR), as under sshd.
        Assert.Equal("out\r\nerr\r\n", screen.Text);

        var killed = await client.ExecAsync(OnTerminal("kill -TERM $$", new Screen())).WaitAsync(Deadline);
        Assert.Equal(143, killed.ExitCode);
        Assert.Equal("SIGTERM", killed.Signal);
    }

    [LinuxFact]
    public async Task TheSizeTermAndEnvironmentAreThoseAskedFor()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var screen = new Screen();
        var command = OnTerminal("stty size; echo term=$TERM lang=$LANG", screen, new RemoteTerminal(132, 43, "screen-256color"));
        var exit = await client.ExecAsync(new RemoteCommand(command.CommandLine)
        {
            Terminal = command.Terminal,
            OnStandardOutput = screen.OnOutput,
            Environment = new Dictionary<string, string> { ["LANG"] = "C.UTF-8" },
        }).WaitAsync(Deadline);
        Assert.Equal(0, exit.ExitCode);
        Assert.Equal("43 132\r\nterm=screen-256color lang=C.UTF-8\r\n", screen.Text);
    }

    [LinuxFact]
    public async Task AResizeReachesTheCommandAsSigwinch()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var screen = new Screen();
        var terminal = new RemoteTerminal(80, 24);
        var run = client.ExecAsync(OnTerminal("trap 'stty size; exit 0' WINCH; echo ready; while :; do sleep 0.1; done", screen, terminal));
        await screen.WaitForAsync("ready");
        terminal.Resize(100, 30);
        var exit = await run.WaitAsync(Deadline);
        Assert.Equal(0, exit.ExitCode);
        await screen.WaitForAsync(@"30 100\r\n");
    }

    [LinuxFact]
    public async Task KeystrokesReachTheCommandAndTheTerminalEchoesThem()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var screen = new Screen();
        var keys = new Pipe();
        var run = client.ExecAsync(OnTerminal("echo ready; read line; echo \"got <$line>\"; read line; echo \"then <$line>\"", screen, input: keys.Reader.AsStream()));
        await screen.WaitForAsync("ready");
        await keys.Writer.WriteAsync("hello\r"u8.ToArray());
        await screen.WaitForAsync("got <hello>");
        // Ctrl+U (VKILL) erases the line in the terminal's own line editing, before the command reads it.
        await keys.Writer.WriteAsync("junk\u0015world\r"u8.ToArray());
        var exit = await run.WaitAsync(Deadline);
        Assert.Equal(0, exit.ExitCode);
        Assert.Contains("hello\r\n", screen.Text, StringComparison.Ordinal); // the echo
        Assert.Contains("then <world>", screen.Text, StringComparison.Ordinal);
    }

    // Keystrokes go straight to the terminal while it takes them; what it cannot take at once (its input buffer holds
    // about 4 KiB) waits in order and follows as the command reads, none lost, none reordered.
    [LinuxFact]
    public async Task InputTheTerminalCannotTakeAtOnceFollowsInOrderOnceTheCommandReads()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var screen = new Screen();
        var keys = new Pipe();
        var data = new byte[300_000];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)('a' + (i * 7 + i / 26) % 26);
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data));
        var run = client.ExecAsync(OnTerminal("stty raw -echo; echo ready; sleep 1; head -c 300000 | sha256sum; stty sane", screen, input: keys.Reader.AsStream()));
        await screen.WaitForAsync("ready");
        for (int offset = 0; offset < data.Length; offset += 10_000) await keys.Writer.WriteAsync(data.AsMemory(offset, 10_000));
        var exit = await run.WaitAsync(Deadline);
        Assert.Equal(0, exit.ExitCode);
        Assert.Contains(expected, screen.Text, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task CtrlCGoesToTheForegroundJobAndTheLoginShellGoesOn()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var screen = new Screen();
        var keys = new Pipe();
        var marker = ProcessTable.Marker();
        var run = client.ExecAsync(new RemoteCommand("exec bash --norc -i")
        {
            Terminal = new RemoteTerminal(80, 24),
            OnStandardOutput = screen.OnOutput,
            StandardInput = keys.Reader.AsStream(),
            Environment = new Dictionary<string, string> { ["PS1"] = "ready$ " },
        });
        await screen.WaitForAsync(@"ready\$ ");
        await keys.Writer.WriteAsync(Encoding.UTF8.GetBytes($"sleep {marker}\r"));
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Sleeps(marker) == 1, TimeSpan.FromSeconds(10)));
        await keys.Writer.WriteAsync("\u0003"u8.ToArray());
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Sleeps(marker) == 0, TimeSpan.FromSeconds(10)));
        await keys.Writer.WriteAsync("echo alive=$((6*7)); exit 7\r"u8.ToArray());
        var exit = await run.WaitAsync(Deadline);
        Assert.Equal(7, exit.ExitCode);
        Assert.Contains("alive=42", screen.Text, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task TheLoginShellStartsWhenNoCommandIsGiven()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var screen = new Screen();
        var keys = new Pipe();
        var run = client.ExecAsync(new RemoteCommand(new RemoteTerminal(80, 24))
        {
            OnStandardOutput = screen.OnOutput,
            StandardInput = keys.Reader.AsStream(),
        });
        await keys.Writer.WriteAsync("echo shell=$0 \"$(shopt -q login_shell 2>/dev/null && echo login)\"; exit 3\r"u8.ToArray());
        var exit = await run.WaitAsync(Deadline);
        Assert.Equal(3, exit.ExitCode);
        var shell = PasswdShell();
        await screen.WaitForAsync($"shell={Regex.Escape(shell)} {(shell.EndsWith("bash", StringComparison.Ordinal) ? "login" : "")}\r\n");
    }

    // The server user's shell, as getpwuid gives it (this test process runs as that user).
    private static string PasswdShell()
    {
        var uid = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
        return File.ReadAllLines("/etc/passwd").Select(l => l.Split(':')).First(f => f.Length >= 7 && f[2] == uid)[6];
    }

    [LinuxFact]
    public async Task TimeoutKillsTheWholeSessionEveryProcessGroupIncluded()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var marker = ProcessTable.Marker();
        // set -m: the background job gets a process group of its own, which kill(-pgid) of the shell's would miss.
        var exit = await client.ExecAsync(new RemoteCommand($"set -m; sleep {marker} & sleep {marker}")
        {
            Terminal = new RemoteTerminal(80, 24),
            Timeout = TimeSpan.FromSeconds(1),
        }).WaitAsync(Deadline);
        Assert.True(exit.TimedOut);
        Assert.NotNull(exit.Signal);
        Assert.Empty(ProcessTable.Matching(marker));
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.OurZombies("sleep").Count == 0 && ProcessTable.OurZombies("sh").Count == 0,
            TimeSpan.FromSeconds(5)));
    }

    [LinuxFact]
    public async Task BackgroundJobsLeftOnTheTerminalDieWithTheLeader()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var marker = ProcessTable.Marker();
        var screen = new Screen();
        var exit = await client.ExecAsync(OnTerminal($"set -m; sleep {marker} & echo started", screen)).WaitAsync(Deadline);
        Assert.Equal(0, exit.ExitCode);
        Assert.Contains("started", screen.Text, StringComparison.Ordinal);
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Matching(marker).Count == 0, TimeSpan.FromSeconds(5)),
            ProcessTable.Describe(ProcessTable.Matching(marker)));
    }

    [LinuxFact]
    public async Task AClientThatDisconnectsLeavesNoProcessNorZombieBehind()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var marker = ProcessTable.Marker();
        var screen = new Screen();
        _ = client.ExecAsync(OnTerminal($"set -m; sleep {marker} & echo go; sleep {marker}", screen));
        await screen.WaitForAsync("go");
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Sleeps(marker) == 2, TimeSpan.FromSeconds(10)));
        await client.DisposeAsync();
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.Matching(marker).Count == 0, TimeSpan.FromSeconds(10)),
            ProcessTable.Describe(ProcessTable.Matching(marker)));
        Assert.True(await ProcessTable.EventuallyAsync(() => ProcessTable.OurZombies("sleep").Count == 0 && ProcessTable.OurZombies("sh").Count == 0,
            TimeSpan.FromSeconds(5)));
    }

    [LinuxFact]
    public async Task ABadTerminalSizeIsRefusedNamingTheField()
    {
        await using var server = await ExecTestServer.StartAsync();
        var client = await server.ConnectAsync();
        var error = await Assert.ThrowsAsync<FerryException>(() => client.ExecAsync(new RemoteCommand("true")
        {
            Terminal = new RemoteTerminal(20000, 24),
        }).WaitAsync(Deadline));
        Assert.Equal(ProtocolError.BadRequest, error.Error);
        Assert.Contains("'cols' and 'rows'", error.Message, StringComparison.Ordinal);
    }
}

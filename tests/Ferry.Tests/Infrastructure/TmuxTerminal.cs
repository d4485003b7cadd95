using System.Globalization;
using System.Text.RegularExpressions;

namespace Ferry.Tests.Infrastructure;

/// <summary>
/// One tmux session running one shell command line, a real terminal for a test to type into and read; it prints
/// "[exit N]" when the command ends and keeps its last screen until disposed.
/// </summary>
public sealed class TmuxTerminal : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _session = "ferry-pt-" + Guid.NewGuid().ToString("N")[..8];

    public int Width { get; private init; }

    public static async Task<TmuxTerminal> StartAsync(string commandLine, int width = 100, int height = 30)
    {
        Assert.True(ProcessRunner.Exists("tmux"), "tmux is missing: run tests/install-peers.sh");
        var terminal = new TmuxTerminal { Width = width };
        // 'read' keeps the pane (and its last screen) after the command ends, until the session is killed.
        var started = await Tmux.RunAsync("new-session", "-d", "-s", terminal._session, "-x", $"{width}", "-y", $"{height}",
            $"{commandLine}; echo \"[exit $?]\"; read ignored");
        Assert.True(started.ExitCode == 0, started.StdErr);
        return terminal;
    }

    public Task TypeAsync(string text) => Tmux.RunAsync("send-keys", "-t", _session, "-l", text);

    public Task KeysAsync(params string[] keys) => Tmux.RunAsync(["send-keys", "-t", _session, .. keys]);

    /// <summary>Resizes the window, as a person dragging its corner: the program in it gets SIGWINCH.</summary>
    public async Task ResizeAsync(int width, int height)
    {
        var resized = await Tmux.RunAsync("resize-window", "-t", _session, "-x", $"{width}", "-y", $"{height}");
        Assert.True(resized.ExitCode == 0, resized.StdErr);
    }

    /// <summary>The pid of the shell tmux runs the command line in.</summary>
    public async Task<int> PanePidAsync()
    {
        var shown = await Tmux.RunAsync("display-message", "-p", "-t", _session, "#{pane_pid}");
        return int.Parse(shown.StdOut.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>The screen with lines the terminal wrapped joined back (-J), so a line too long for it shows as one.</summary>
    public async Task<string> ScreenAsync(bool joined = false) =>
        (await Tmux.RunAsync(joined ? ["capture-pane", "-t", _session, "-p", "-J"] : ["capture-pane", "-t", _session, "-p"])).StdOut;

    public async Task<string> WaitForAsync(Func<string, bool> done, string what, TimeSpan? deadline = null)
    {
        using var cancel = new CancellationTokenSource(deadline ?? Deadline);
        string screen = "";
        while (!cancel.IsCancellationRequested)
        {
            screen = await ScreenAsync();
            if (done(screen)) return screen;
            await Task.Delay(50); // polling the screen: tmux has no way to notify
        }
        throw new Xunit.Sdk.XunitException($"the terminal never showed {what}; it shows:\n{screen}");
    }

    public Task<string> WaitForAsync(string text) => WaitForAsync(s => s.Contains(text, StringComparison.Ordinal), $"'{text}'");

    /// <summary>Waits for the command to end and returns its exit code.</summary>
    public async Task<int> ExitCodeAsync()
    {
        var screen = await WaitForAsync(s => Regex.IsMatch(s, @"\[exit \d+\]"), "the command ending");
        return int.Parse(Regex.Match(screen, @"\[exit (\d+)\]").Groups[1].Value, CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync() => await Tmux.RunAsync("kill-session", "-t", _session);
}

using Ferry.Client;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Chat;

namespace Ferry.Tests.Cli;

/// <summary>
/// The CLI's one line editor on a real terminal (tmux), in both its users: <c>ferry shell -T</c> and <c>ferry chat</c>.
/// The same keys work in both, and a line longer than the window stays on one row (scrolled sideways) instead of
/// being reprinted below itself on every key.
/// </summary>
public class LineEditorTerminalTests
{
    private const int Width = 40;

    private static Task<(int ExitCode, string StdOut, string StdErr)> TmuxAsync(params string[] args) => Tmux.RunAsync(args);

    private static List<string> Rows(string screen) => [.. screen.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0)];

    private static async Task<string> StartAsync(string command)
    {
        Assert.True(ProcessRunner.Exists("tmux"), "tmux is missing: run tests/install-peers.sh");
        var session = "ferry-edit-" + Guid.NewGuid().ToString("N")[..8];
        var started = await TmuxAsync("new-session", "-d", "-s", session, "-x", Width.ToString(System.Globalization.CultureInfo.InvariantCulture), "-y", "20", command);
        Assert.Equal(0, started.ExitCode);
        return session;
    }

    [Fact]
    public async Task TheShellsLinePromptKeepsALongLineOnOneRowAndHasHistoryAndTheEditingKeys()
    {
        await using var server = await TestServer.StartAsync(o => o.Exec.Enabled = true);
        var cli = Path.Combine(AppContext.BaseDirectory, "Ferry.Cli");
        var session = await StartAsync($"'{cli}' shell -T 127.0.0.1:{server.EndPoint.Port} --key-file '{server.KeyFile}'; echo shell-ended-$?; sleep 30");
        try
        {
            await Tmux.WaitForScreenAsync(session, s => Rows(s).Count > 0 && Rows(s)[^1].EndsWith("home$", StringComparison.Ordinal)); // tmux trims the space
            var word = string.Concat(Enumerable.Repeat("abcdefghij", 7)); // 70 characters: wider than the window
            await TmuxAsync("send-keys", "-t", session, "-l", "echo " + word);
            var screen = await Tmux.WaitForScreenAsync(session, s => s.Contains("cdefghij", StringComparison.Ordinal) && Rows(s)[^1].EndsWith("hij", StringComparison.Ordinal));
            // One row for the input, holding the end of the line (where the cursor is); nothing reprinted above it.
            Assert.Single(Rows(screen), r => r.Contains("abcdefghij", StringComparison.Ordinal) || r.Contains("echo", StringComparison.Ordinal));
            Assert.True(Rows(screen)[^1].Length <= Width);
            await TmuxAsync("send-keys", "-t", session, "Enter");
            await Tmux.WaitForScreenAsync(session, s => s.Replace("\n", "", StringComparison.Ordinal).Contains(word, StringComparison.Ordinal));

            // Ctrl+W drops the word before the cursor; Home/End and Ctrl+K cut to the end.
            await TmuxAsync("send-keys", "-t", session, "-l", "echo alpha beta");
            await TmuxAsync("send-keys", "-t", session, "C-w");
            await TmuxAsync("send-keys", "-t", session, "-l", "gamma");
            await TmuxAsync("send-keys", "-t", session, "Enter");
            await Tmux.WaitForScreenAsync(session, s => Rows(s).Any(r => r == "alpha gamma"));
            // History: Up brings the last line back; Ctrl+A, then Right past "echo ", Ctrl+K cuts the rest.
            await TmuxAsync("send-keys", "-t", session, "Up");
            await Tmux.WaitForScreenAsync(session, s => Rows(s)[^1].EndsWith("echo alpha gamma", StringComparison.Ordinal));
            await TmuxAsync("send-keys", "-t", session, "C-a", "Right", "Right", "Right", "Right", "Right", "C-k");
            await TmuxAsync("send-keys", "-t", session, "-l", "delta");
            await TmuxAsync("send-keys", "-t", session, "End");
            await TmuxAsync("send-keys", "-t", session, "-l", "!");
            await TmuxAsync("send-keys", "-t", session, "Enter");
            await Tmux.WaitForScreenAsync(session, s => Rows(s).Any(r => r == "delta!"));
            // Ctrl+U clears what was typed; Ctrl+D on the empty line leaves.
            await TmuxAsync("send-keys", "-t", session, "-l", "junk");
            await TmuxAsync("send-keys", "-t", session, "C-u", "C-d");
            await Tmux.WaitForScreenAsync(session, s => s.Contains("shell-ended-0", StringComparison.Ordinal));
        }
        finally
        {
            await TmuxAsync("kill-session", "-t", session);
        }
    }

    [Fact]
    public async Task TheChatPromptKeepsALongLineOnOneRowAndHasTheSameKeysAndHistory()
    {
        await using var server = await TestServer.StartAsync();
        var watcher = await (await server.ConnectAsync()).JoinChatAsync("lobby", "watcher");
        var events = new ChatEventCollector(watcher.ReadEventsAsync());
        var cli = Path.Combine(AppContext.BaseDirectory, "Ferry.Cli");
        var session = await StartAsync($"'{cli}' chat 127.0.0.1:{server.EndPoint.Port} --key-file '{server.KeyFile}' --nick tty");
        try
        {
            await events.WaitForAsync(e => e.Any(x => x is { Kind: "join", From: "tty" }));
            await Tmux.WaitForScreenAsync(session, s => s.Contains("Joined lobby", StringComparison.Ordinal)); // the prompt reads keys
            var text = string.Concat(Enumerable.Repeat("0123456789", 10)); // 100 characters
            await TmuxAsync("send-keys", "-t", session, "-l", text);
            var screen = await Tmux.WaitForScreenAsync(session, s => Rows(s).Count > 0 && Rows(s)[^1].EndsWith("789", StringComparison.Ordinal)
                && Rows(s)[^1].StartsWith("> ", StringComparison.Ordinal));
            Assert.Single(Rows(screen), r => r.Contains("0123456789", StringComparison.Ordinal));
            Assert.True(Rows(screen)[^1].Length <= Width);
            await TmuxAsync("send-keys", "-t", session, "Enter");
            var sent = await events.WaitForAsync(e => e.Any(x => x is { Kind: "message", From: "tty" }));
            Assert.Equal(text, sent.First(x => x is { Kind: "message", From: "tty" }).Text);

            // The shell's keys here too: Ctrl+W, Up for history, Ctrl+A/Ctrl+K, End.
            await TmuxAsync("send-keys", "-t", session, "-l", "alpha beta");
            await TmuxAsync("send-keys", "-t", session, "C-w");
            await TmuxAsync("send-keys", "-t", session, "-l", "gamma");
            await TmuxAsync("send-keys", "-t", session, "Enter");
            await events.WaitForAsync(e => e.Any(x => x is { Kind: "message", From: "tty", Text: "alpha gamma" }));
            await TmuxAsync("send-keys", "-t", session, "Up");
            await Tmux.WaitForScreenAsync(session, s => Rows(s)[^1] == "> alpha gamma");
            await TmuxAsync("send-keys", "-t", session, "C-a", "Right", "Right", "Right", "Right", "Right", "C-k");
            await TmuxAsync("send-keys", "-t", session, "-l", " delta");
            await TmuxAsync("send-keys", "-t", session, "End");
            await TmuxAsync("send-keys", "-t", session, "-l", "!");
            await TmuxAsync("send-keys", "-t", session, "Enter");
            await events.WaitForAsync(e => e.Any(x => x is { Kind: "message", From: "tty", Text: "alpha delta!" }));
            // Ctrl+D on an empty line quits, as in the shell.
            await TmuxAsync("send-keys", "-t", session, "C-d");
            await events.WaitForAsync(e => e.Any(x => x is { Kind: "leave", From: "tty" }));
        }
        finally
        {
            await TmuxAsync("kill-session", "-t", session);
        }
    }
}

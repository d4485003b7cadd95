using Ferry.Client;
using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Chat;

namespace Ferry.Tests.Cli;

/// <summary>The interactive chat in a real terminal (tmux): incoming messages never disturb the line being typed.</summary>
public class ChatTerminalTests
{
    private static Task<(int ExitCode, string StdOut, string StdErr)> TmuxAsync(params string[] args) =>
        Tmux.RunAsync(args);

    [Fact]
    public async Task IncomingMessagesPrintAboveTheHalfTypedLine()
    {
        Assert.True(ProcessRunner.Exists("tmux"), "tmux is missing: run tests/install-peers.sh");
        await using var server = await TestServer.StartAsync();
        var watcher = await (await server.ConnectAsync()).JoinChatAsync("lobby", "watcher");
        var events = new ChatEventCollector(watcher.ReadEventsAsync());
        var cli = Path.Combine(AppContext.BaseDirectory, "Ferry.Cli");
        var session = "ferry-chat-" + Guid.NewGuid().ToString("N")[..8];
        var started = await TmuxAsync("new-session", "-d", "-s", session, "-x", "100", "-y", "20",
            $"'{cli}' chat 127.0.0.1:{server.EndPoint.Port} --key-file '{server.KeyFile}' --nick tty");
        Assert.Equal(0, started.ExitCode);
        try
        {
            await events.WaitForAsync(e => e.Any(x => x is { Kind: "join", From: "tty" }));
            await TmuxAsync("send-keys", "-t", session, "-l", "half typed");
            await Tmux.WaitForScreenAsync(session, s => s.Contains("> half typed", StringComparison.Ordinal));
            for (int i = 1; i <= 3; i++) await watcher.SayAsync($"incoming {i}");
            var screen = await Tmux.WaitForScreenAsync(session, s => s.Contains("<watcher> incoming 3", StringComparison.Ordinal));
            var lines = screen.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
            Assert.Equal("> half typed", lines[^1]);
            Assert.Contains(lines, l => l.EndsWith("<watcher> incoming 1", StringComparison.Ordinal));

            // Editing still works after the interruptions, and Enter sends the whole line.
            await TmuxAsync("send-keys", "-t", session, "Left", "Left", "Left", "Left", "Left");
            await TmuxAsync("send-keys", "-t", session, "-l", "X");
            await TmuxAsync("send-keys", "-t", session, "Enter");
            var sent = await events.WaitForAsync(e => e.Any(x => x is { Kind: "message", From: "tty" }));
            Assert.Equal("half Xtyped", sent.First(x => x is { Kind: "message", From: "tty" }).Text);

            await TmuxAsync("send-keys", "-t", session, "-l", "/quit");
            await TmuxAsync("send-keys", "-t", session, "Enter");
            await events.WaitForAsync(e => e.Any(x => x is { Kind: "leave", From: "tty" }));
        }
        finally
        {
            await TmuxAsync("kill-session", "-t", session);
        }
    }
}

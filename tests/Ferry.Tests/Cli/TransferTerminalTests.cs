using Ferry.Tests.Infrastructure;
using Ferry.Tests.Services.Files;

namespace Ferry.Tests.Cli;

/// <summary>The live transfer display in a real terminal (tmux): a long name never breaks a row over two lines.</summary>
public sealed class TransferTerminalTests : IDisposable
{
    private readonly string _root = TempDirectory.Create("ferry-tty-root");

    public void Dispose() => TempDirectory.TryDelete(_root);

    private static Task<(int ExitCode, string StdOut, string StdErr)> TmuxAsync(params string[] args) =>
        Tmux.RunAsync(args);

    [Fact]
    public async Task ANinetyCharacterNameStaysOnOneRowShortenedInTheMiddle()
    {
        Assert.True(ProcessRunner.Exists("tmux"), "tmux is missing: run .ci/install-deps");
        await using var server = await TestServer.StartPlaintextAsync(o => o.Files.Root = _root);
        var name = "quarterly-report-" + new string('x', 60) + "-final-v2.log"; // 90 characters
        Assert.Equal(90, name.Length);
        FileTestData.Create(_root, name, 16L * 1024 * 1024, seed: 2);
        var cli = Path.Combine(AppContext.BaseDirectory, "Ferry.Cli");
        var session = "ferry-tty-" + Guid.NewGuid().ToString("N")[..8];
        // stdout goes to a reader that never reads: the download stalls mid-way with its display up.
        var started = await TmuxAsync("new-session", "-d", "-s", session, "-x", "60", "-y", "10",
            $"'{cli}' get {server.Target} {string.Join(' ', server.ClientArgs.Select(a => $"'{a}'"))} {name} - | sleep 120");
        Assert.Equal(0, started.ExitCode);
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string screen = "";
            List<string> rows = [];
            while (!deadline.IsCancellationRequested)
            {
                screen = (await TmuxAsync("capture-pane", "-t", session, "-p")).StdOut;
                rows = [.. screen.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0)];
                if (rows.Count == 2 && rows[1].Contains("-final-v2.log", StringComparison.Ordinal) && rows[0].Contains('%')) break;
                await Task.Delay(100); // polling the screen: tmux has no way to notify
            }
            Assert.True(rows.Count == 2, $"expected the overall row and the file row, the terminal shows:\n{screen}");
            Assert.StartsWith("get  ", rows[0], StringComparison.Ordinal);
            Assert.Contains("/ 16.0 MiB", rows[0], StringComparison.Ordinal);
            Assert.All(rows, r => Assert.True(r.Length < 60, $"row of {r.Length} characters: {r}"));
            Assert.Contains("quarterly-report-xx", rows[1], StringComparison.Ordinal);
            Assert.Contains("…", rows[1], StringComparison.Ordinal);
            Assert.EndsWith("-final-v2.log", rows[1], StringComparison.Ordinal);
        }
        finally
        {
            await TmuxAsync("kill-session", "-t", session);
        }
    }
}

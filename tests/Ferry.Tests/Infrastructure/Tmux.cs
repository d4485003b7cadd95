namespace Ferry.Tests.Infrastructure;

/// <summary>
/// Runs tmux with a server of its own per session (the socket is named after the session given with -s or -t).
/// Tests run in parallel, and on one shared tmux server a test ending its last session stops that server while
/// another test's new-session is still connecting to it: "server exited unexpectedly".
/// </summary>
public static class Tmux
{
    public static Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(params string[] args)
    {
        int at = Array.FindIndex(args, a => a is "-s" or "-t");
        string[] full = at >= 0 && at + 1 < args.Length ? ["-L", args[at + 1], .. args] : args;
        return ProcessRunner.RunAsync("tmux", full, TimeSpan.FromSeconds(20));
    }

    /// <summary>
    /// Captures the session's screen until <paramref name="done"/> accepts it (30 s at most), and returns it; tmux has
    /// no way to notify, so this polls. Fails the test with the last screen when it never comes.
    /// </summary>
    public static async Task<string> WaitForScreenAsync(string session, Func<string, bool> done)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string screen = "";
        while (!deadline.IsCancellationRequested)
        {
            screen = (await RunAsync("capture-pane", "-t", session, "-p")).StdOut;
            if (done(screen)) return screen;
            await Task.Delay(100); // polling the screen: tmux has no way to notify
        }
        throw new Xunit.Sdk.XunitException($"the terminal never showed what was expected; it shows:\n{screen}");
    }
}

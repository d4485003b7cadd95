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
}

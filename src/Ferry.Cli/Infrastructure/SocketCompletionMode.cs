namespace Ferry.Cli.Infrastructure;

/// <summary>
/// Makes the runtime run socket completions on its epoll threads instead of queueing each one to the thread pool.
/// Both ends of Ferry are written for that: the server's transport already schedules inline, long work goes to
/// <c>StartBackground</c> (which leaves the read loop's thread first), file I/O is queued to the pool by the runtime,
/// and a client's read loop only hands frames to sinks. <c>ferry bench</c> already did this for its load clients;
/// now <c>ferry serve</c> (and every other command) does too. On a small machine the pool hop per
/// read (a wake-up and a context switch) is most of the cost of a small round trip: with it gone, each epoll thread
/// is an event loop, like Node's. The runtime reads the switch once, when the first socket is made, so this must run
/// before any socket exists. An explicit setting in the environment (for example <c>=0</c> to opt out) wins.
/// </summary>
internal static class SocketCompletionMode
{
    internal const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static void PreferInline()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null) Environment.SetEnvironmentVariable(Variable, "1");
    }
}

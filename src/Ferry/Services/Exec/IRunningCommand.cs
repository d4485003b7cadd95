using Ferry.Connections;
using Ferry.Contracts.Exec;

namespace Ferry.Services.Exec;

/// <summary>A command running for one <c>exec.start</c>: on pipes (<see cref="ExecProcess"/>) or on a terminal (<see cref="PtyProcess"/>).</summary>
internal interface IRunningCommand
{
    /// <summary>Streams output until the command ends, then says how it ended; cancelling or the timeout kills it all.</summary>
    Task<ExecExitMessage> RunAsync(Server.RequestContext request, bool keepStdin, TimeSpan? timeout, int chunkBytes, CancellationToken cancellationToken);

    /// <summary>Takes one <c>exec.stdin</c> frame's bytes off the connection and queues them for the command.</summary>
    ValueTask WriteStdinAsync(FrameBodyReader body, bool eof, CancellationToken cancellationToken);

    /// <summary>Kills everything the command started (idempotent) and waits until it is reaped.</summary>
    Task KillAsync();
}

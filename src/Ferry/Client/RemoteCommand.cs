namespace Ferry.Client;

/// <summary>
/// A command for <see cref="FerryExecClientExtensions.ExecAsync(FerryClient, RemoteCommand, CancellationToken)"/>: the
/// command line, where and how to run it, and where its input comes from and its output goes.
/// </summary>
public sealed class RemoteCommand
{
    /// <summary>A command line for the server's shell to run.</summary>
    public RemoteCommand(string commandLine)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commandLine);
        CommandLine = commandLine;
    }

    /// <summary>The server user's login shell on <paramref name="terminal"/> (what <c>ferry shell</c> and a bare <c>ssh host</c> start).</summary>
    public RemoteCommand(RemoteTerminal terminal)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        CommandLine = "";
        IsLoginShell = true;
        Terminal = terminal;
    }

    /// <summary>One shell command line, run by the server's <c>/bin/sh -c</c> (<c>cmd.exe /c</c> on Windows); empty for the login shell.</summary>
    public string CommandLine { get; }

    /// <summary>Whether this is the login shell (<see cref="RemoteCommand(RemoteTerminal)"/>) rather than a command line.</summary>
    public bool IsLoginShell { get; }

    /// <summary>
    /// Run on a pseudo-terminal of this size (as <c>ssh -t</c>; Linux servers, others answer <c>unsupported</c>); null
    /// for pipes. On a terminal, output is one stream (<see cref="OnStandardOutput"/>) and input is keystrokes: its end
    /// is sent as the terminal's end-of-file character (Ctrl+D).
    /// </summary>
    public RemoteTerminal? Terminal { get; init; }

    /// <summary>The remote folder to run in (absolute, or relative to the server's exec folder); null for the exec folder.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Environment variables to add on the server.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Kill the command (and everything it started) after this long; null for no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Copied to the command's standard input; its end closes the input. Null: the command gets no input at all.</summary>
    public Stream? StandardInput { get; init; }

    /// <summary>
    /// Receives standard output as it arrives, raw bytes. Awaited before more is read, so a slow consumer slows the
    /// remote command instead of filling memory. The memory is valid only during the call. Overrides <see cref="StandardOutput"/>.
    /// </summary>
    public Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask>? OnStandardOutput { get; init; }

    /// <summary>Receives standard error as it arrives, like <see cref="OnStandardOutput"/>.</summary>
    public Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask>? OnStandardError { get; init; }

    /// <summary>Where standard output is written when <see cref="OnStandardOutput"/> is null; null discards it.</summary>
    public Stream? StandardOutput { get; init; }

    /// <summary>Where standard error is written when <see cref="OnStandardError"/> is null; null discards it.</summary>
    public Stream? StandardError { get; init; }
}

/// <summary>How a remote command ended.</summary>
/// <param name="ExitCode">The exit code; 128+N when signal N ended it, as shells report.</param>
/// <param name="Signal">The signal's name (e.g. <c>SIGKILL</c>) when one ended the command; otherwise null.</param>
/// <param name="TimedOut">Whether the server killed it for running past <see cref="RemoteCommand.Timeout"/>.</param>
public sealed record ExecResult(int ExitCode, string? Signal, bool TimedOut);

/// <summary>A finished remote command with its captured output.</summary>
public sealed record ExecOutput(ExecResult Result, byte[] StandardOutput, byte[] StandardError)
{
    /// <summary>The command's exit code (128 + signal number when a signal ended it).</summary>
    public int ExitCode => Result.ExitCode;
}

using System.Runtime.InteropServices;
using Ferry.Cli.Infrastructure;
using Ferry.Client;

namespace Ferry.Cli.Commands.Exec;

/// <summary>
/// One remote command on a remote terminal, as <c>ssh -t</c> runs it: the local terminal in raw mode (every key,
/// Ctrl+C included, goes to the remote side), the window size sent at start and on every SIGWINCH, <c>TERM</c>,
/// <c>LANG</c> and <c>LC_*</c> passed, and the local terminal's modes put back on every way out: the command's end,
/// an error, the connection cut, SIGTERM or SIGHUP to ferry, and process exit.
/// </summary>
internal static class TerminalSession
{
    /// <summary>What a session needs to build its <see cref="RemoteCommand"/>: the terminal, the keys, the output.</summary>
    public delegate RemoteCommand Build(RemoteTerminal terminal, Stream? input, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> output);

    /// <summary>The local variables a remote terminal session gets (as ssh's SendEnv LANG LC_*).</summary>
    public static Dictionary<string, string> LocaleEnvironment(IReadOnlyDictionary<string, string>? explicitly)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var name = (string)entry.Key;
            if (name == "LANG" || name.StartsWith("LC_", StringComparison.Ordinal)) variables[name] = (string?)entry.Value ?? "";
        }
        if (explicitly is not null) foreach (var (name, value) in explicitly) variables[name] = value;
        return variables;
    }

    /// <summary>
    /// Runs the command <paramref name="build"/> makes on a remote terminal. <paramref name="forwardInput"/> false gives it
    /// no input. Returns how it ended, or null when a signal to ferry ended the session (then <paramref name="signalled"/>
    /// holds ferry's exit code).
    /// </summary>
    public static async Task<(ExecResult? Exit, int Signalled)> RunAsync(CliContext cli, FerryClient client, Build build, bool forwardInput,
        CancellationToken cancellationToken)
    {
        var local = LocalTerminal.OfStdin();
        var (columns, rows) = LocalTerminal.Size();
        var term = Environment.GetEnvironmentVariable("TERM");
        var terminal = new RemoteTerminal(columns, rows, string.IsNullOrEmpty(term) ? null : term);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        int signalled = 0;
        void EndBy(PosixSignalContext context, int code)
        {
            context.Cancel = true; // ferry ends the session itself, the terminal restored, rather than dying mid-write
            local?.Restore();
            signalled = code;
            try
            {
                stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The session already ended.
            }
        }
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => EndBy(c, 128 + 15));
        using var onHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => EndBy(c, 128 + 1));
        using var onWinch = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ =>
        {
            var size = LocalTerminal.Size();
            terminal.Resize(size.Columns, size.Rows);
        });
        void OnExit(object? sender, EventArgs e) => local?.Restore();
        AppDomain.CurrentDomain.ProcessExit += OnExit;

        using var keyboard = forwardInput && local is not null ? new KeyboardInput() : null;
        Stream? input = forwardInput ? keyboard ?? cli.StdIn : null;
        local?.EnterRaw();
        try
        {
            var exit = await client.ExecAsync(build(terminal, input, RemoteOutput.StdOutNow(cli)), stop.Token).ConfigureAwait(false);
            return (exit, 0);
        }
        catch (OperationCanceledException) when (signalled != 0)
        {
            return (null, signalled);
        }
        finally
        {
            local?.Restore();
            AppDomain.CurrentDomain.ProcessExit -= OnExit;
        }
    }
}

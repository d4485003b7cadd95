using System.CommandLine;
using System.Globalization;
using Ferry.Cli.Infrastructure;
using Ferry.Client;

namespace Ferry.Cli.Commands.Exec;

/// <summary><c>ferry exec TARGET -- COMMAND [ARGS...]</c>: run one command remotely, live, and exit with its exit code.</summary>
internal static class ExecCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var cwd = new Option<string?>("--cwd", "-C") { Description = "Remote folder to run in (absolute, or relative to the server's exec folder)" };
        var env = new Option<string[]>("--env", "-e")
        {
            Description = "Set an environment variable for the command: NAME=VALUE (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var timeout = new Option<double?>("--timeout") { Description = "Kill the command, and everything it started, after this many seconds" + Durations.Hint, CustomParser = Durations.ParseOptionalSeconds };
        var noStdin = new Option<bool>("--no-stdin") { Description = "Give the command no input (ssh -n; here -n is a count, as in every ferry command) instead of forwarding stdin" };
        var tty = new Option<bool>("--tty", "-t")
        {
            Description = "Run the command on a remote terminal (as ssh -t), for vim, top, less, sudo: keys go to it as typed, the window size follows yours, stdout and stderr are one stream",
        };
        var noTty = new Option<bool>("--no-tty", "-T") { Description = "No remote terminal (the default for exec; as ssh -T)" };
        var json = CommonOptions.Json();
        json.Description = "Collect the command's output and print one JSON object (exitCode, signal, timedOut, stdout, stderr, ...) when it ends; ferry still exits with its code";
        var commandLine = new Argument<string[]>("COMMAND")
        {
            Description = "The command and its arguments, after --. One argument is a whole shell command line ('ls | wc -l'); several are quoted one by one",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("exec", "Run a command on a server (started with --allow-exec): output streams back live, stdin is forwarded, " +
            "and ferry exits with the command's exit code.\nExample: printf 'b\\na\\n' | ferry exec host -- sort");
        connect.AddTo(command);
        command.Add(cwd);
        command.Add(env);
        command.Add(timeout);
        command.Add(noStdin);
        command.Add(tty);
        command.Add(noTty);
        command.Add(json);
        command.Add(commandLine);
        command.SetAction(async (result, ct) =>
        {
            bool asJson = result.GetValue(json);
            if (result.GetValue(tty))
            {
                if (result.GetValue(noTty)) throw new CliUsageException("--tty and --no-tty contradict each other; give one");
                if (asJson) throw new CliUsageException("--json collects output, which a terminal cannot give apart; leave out --tty or --json");
                return await RunOnTerminalAsync(cli, connect, result, ParseTimeout(result.GetValue(timeout)), ct).ConfigureAwait(false);
            }
            using var capturedOut = asJson ? new MemoryStream() : null;
            using var capturedErr = asJson ? new MemoryStream() : null;
            var remote = new RemoteCommand(ShellQuoting.Join(result.GetValue(commandLine) ?? []))
            {
                WorkingDirectory = result.GetValue(cwd),
                Environment = ParseEnvironment(result.GetValue(env) ?? []),
                Timeout = ParseTimeout(result.GetValue(timeout)),
                StandardInput = result.GetValue(noStdin) ? null : cli.StdIn,
                OnStandardOutput = capturedOut is null ? RemoteOutput.StdOut(cli) : capturedOut.WriteAsync,
                OnStandardError = capturedErr is null ? RemoteOutput.StdErr(cli) : capturedErr.WriteAsync,
            };
            await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
            try
            {
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                var exit = await client.ExecAsync(remote, ct).ConfigureAwait(false);
                if (capturedOut is not null && capturedErr is not null)
                {
                    var report = ExecReport.Of(remote.CommandLine, exit, System.Diagnostics.Stopwatch.GetElapsedTime(started), capturedOut, capturedErr);
                    cli.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(report, ExecJsonContext.Relaxed.ExecReport));
                    return exit.TimedOut ? ExitCodes.Timeout : exit.ExitCode;
                }
                await cli.StdOut.FlushAsync(ct).ConfigureAwait(false);
                return Report(cli, exit, remote.Timeout);
            }
            catch (LocalOutputClosedException)
            {
                // Our reader went away ('ferry exec host -- cat big | head'): the remote command was stopped; end quietly,
                // with the code a shell gives a writer killed by SIGPIPE.
                return ExitCodes.BrokenPipe;
            }
        });
        return command;
    }

    private static async Task<int> RunOnTerminalAsync(CliContext cli, ClientFactory connect, ParseResult result, TimeSpan? timeout, CancellationToken ct)
    {
        var commandLine = ShellQuoting.Join(result.GetValue<string[]>("COMMAND") ?? []);
        var environment = TerminalSession.LocaleEnvironment(ParseEnvironment(result.GetValue<string[]>("--env") ?? []));
        await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
        var (exit, signalled) = await TerminalSession.RunAsync(cli, client, (terminal, input, output) => new RemoteCommand(commandLine)
        {
            Terminal = terminal,
            WorkingDirectory = result.GetValue<string?>("--cwd"),
            Environment = environment,
            Timeout = timeout,
            StandardInput = input,
            OnStandardOutput = output,
        }, forwardInput: !result.GetValue<bool>("--no-stdin"), ct).ConfigureAwait(false);
        return exit is null ? signalled : Report(cli, exit, timeout);
    }

    /// <summary>Turns how the command ended into ferry's exit code, saying so on stderr when it was not a plain exit.</summary>
    internal static int Report(CliContext cli, ExecResult exit, TimeSpan? timeout)
    {
        if (exit.TimedOut)
        {
            var limit = timeout is { } t ? $"its {t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s timeout" : "the server's time limit (--exec-timeout)";
            cli.Error.WriteLine($"ferry: the command ran past {limit} and was killed, with everything it started");
            return ExitCodes.Timeout;
        }
        // Said only on a terminal: scripts compare stderr byte for byte, and exit code 128+N already tells them.
        if (exit.Signal is { } signal && cli.StdErrIsTerminal)
        {
            cli.Error.WriteLine($"ferry: the remote command was ended by {signal} (exit code {exit.ExitCode})");
        }
        return exit.ExitCode;
    }

    internal static Dictionary<string, string>? ParseEnvironment(string[] pairs)
    {
        if (pairs.Length == 0) return null;
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new CliUsageException($"--env '{pair}': expected NAME=VALUE, e.g. --env LANG=C.UTF-8");
            map[pair[..eq]] = pair[(eq + 1)..];
        }
        return map;
    }

    private static TimeSpan? ParseTimeout(double? seconds) => seconds switch
    {
        null => null,
        > 0 and < int.MaxValue / 1000.0 => TimeSpan.FromSeconds(seconds.Value),
        _ => throw new CliUsageException("--timeout must be a positive number of seconds, e.g. --timeout 30"),
    };
}

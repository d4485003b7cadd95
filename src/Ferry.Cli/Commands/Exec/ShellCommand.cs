using System.CommandLine;
using System.Text;
using Ferry.Cli.Infrastructure;
using Ferry.Client;
using Ferry.Protocol;

namespace Ferry.Cli.Commands.Exec;

/// <summary>
/// <c>ferry shell TARGET</c>: on a terminal, the server user's login shell on a remote terminal, as <c>ssh host</c>
/// (<see cref="TerminalSession"/>). With <c>-T</c>, or without a terminal, the course's <c>&gt;&gt;:</c> loop: each line
/// runs as one remote command over one connection; <c>cd</c> is tracked here and sent with every command; from a
/// pipe, one command per line.
/// </summary>
internal static class ShellCommand
{
    public static Command Create(CliContext cli)
    {
        var connect = new ClientFactory();
        var noTty = new Option<bool>("--no-tty", "-T")
        {
            Description = "No remote terminal (as ssh -T): ferry's own line prompt, one remote command per line",
        };
        var command = new Command("shell", "A remote shell. On a terminal: your login shell on the server, on a real remote terminal " +
            "(as ssh host: vim, top, less, job control, Ctrl+C and Ctrl+Z go to the remote side; the window size follows yours). " +
            "With -T: a line prompt showing host and folder, cd, history (arrow keys), exit/quit/Ctrl+D to leave. " +
            "Without a terminal (stdin a pipe) it runs the commands read from stdin, one per line");
        connect.AddTo(command);
        command.Add(noTty);
        command.SetAction(async (result, ct) =>
        {
            await using var client = await connect.ConnectAsync(result, ct).ConfigureAwait(false);
            if (!result.GetValue(noTty) && cli.StdInIsTerminal && LocalTerminal.OfStdin() is not null)
            {
                var (exit, signalled) = await TerminalSession.RunAsync(cli, client, (terminal, input, output) => new RemoteCommand(terminal)
                {
                    Environment = TerminalSession.LocaleEnvironment(null),
                    StandardInput = input,
                    OnStandardOutput = output,
                }, forwardInput: true, ct).ConfigureAwait(false);
                return exit is null ? signalled : exit.ExitCode;
            }
            var session = new ShellSession(cli, client);
            return await session.RunAsync(ct).ConfigureAwait(false);
        });
        return command;
    }

    private sealed class ShellSession(CliContext cli, FerryClient client)
    {
        private readonly bool _interactive = cli.StdInIsTerminal && cli.StdOutIsTerminal;
        private string _home = "";
        private string _cwd = "";
        private string? _previous;
        private int _lastExit;

        public async Task<int> RunAsync(CancellationToken ct)
        {
            var pwd = await client.ExecAsync("pwd", cancellationToken: ct).ConfigureAwait(false);
            if (pwd.ExitCode != 0) throw new FerryException(ProtocolError.Internal, "the server could not say which folder commands run in");
            _home = _cwd = LastLine(pwd.StandardOutput);
            if (_interactive) return await InteractiveAsync(ct).ConfigureAwait(false);
            using var reader = new StreamReader(cli.StdIn, Encoding.UTF8);
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                if (!await RunLineAsync(line, ct).ConfigureAwait(false)) break;
            }
            return _lastExit;
        }

        private async Task<int> InteractiveAsync(CancellationToken ct)
        {
            cli.Error.WriteLine($"Connected to {client.Options.Target}. 'exit', 'quit' or Ctrl+D to leave; Ctrl+C stops the running command.");
            var editor = new LineEditor("");
            bool treatCtrlC = Console.TreatControlCAsInput;
            // Ctrl+C arrives as a key, so it stops the running command (or clears the line) instead of ending the shell.
            Console.TreatControlCAsInput = true;
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    editor.Prompt = $"{client.Options.Target.Host}:{_cwd}$ ";
                    var line = ReadLine(editor);
                    if (line is null || !await RunLineAsync(line, ct).ConfigureAwait(false)) break;
                }
            }
            finally
            {
                Console.TreatControlCAsInput = treatCtrlC;
            }
            return _lastExit;
        }

        // One line from the terminal through the CLI's line editor; null at the end of input (Ctrl+D on an empty line).
        private static string? ReadLine(LineEditor editor)
        {
            Console.Write(editor.Render(LineEditor.TerminalWidth()));
            while (true)
            {
                switch (editor.OnKey(Console.ReadKey(intercept: true), out var line))
                {
                    case LineEditor.Outcome.Line:
                        Console.Write("\r\n");
                        return line;
                    case LineEditor.Outcome.End:
                        Console.Write("\r\n");
                        return null;
                    case LineEditor.Outcome.Interrupt:
                        Console.Write("^C\r\n");
                        return "";
                }
                Console.Write(editor.Render(LineEditor.TerminalWidth()));
            }
        }

        /// <summary>Runs one line; false when the user asked to leave.</summary>
        private async Task<bool> RunLineAsync(string line, CancellationToken ct)
        {
            var text = line.Trim();
            if (text.Length == 0) return true; // nothing is sent: an empty line can never hang the exchange
            if (text is "exit" or "quit" or "logout") return false;
            if (text == "cd" || text.StartsWith("cd ", StringComparison.Ordinal) || text.StartsWith("cd\t", StringComparison.Ordinal))
            {
                await ChangeDirectoryAsync(text[2..].Trim(), ct).ConfigureAwait(false);
                return true;
            }
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var watch = _interactive ? WatchCtrlC(stop) : null;
            try
            {
                var exit = await client.ExecAsync(new RemoteCommand(text)
                {
                    WorkingDirectory = _cwd,
                    OnStandardOutput = RemoteOutput.StdOut(cli),
                    OnStandardError = RemoteOutput.StdErr(cli),
                }, stop.Token).ConfigureAwait(false);
                _lastExit = exit.ExitCode;
                if (exit.Signal is { } signal && _interactive) cli.Error.WriteLine($"[ended by {signal}]");
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                cli.Error.WriteLine("^C (stopped)");
                _lastExit = ExitCodes.Interrupted;
            }
            catch (FerryException ex) when (ex.Error is ProtocolError.NotFound)
            {
                // The folder vanished under us: say so and go back home.
                cli.Error.WriteLine($"ferry: {ex.Message}; back to {_home}");
                _cwd = _home;
                _lastExit = 1;
            }
            catch (FerryException ex) when (ex.Error is ProtocolError.Busy or ProtocolError.BadRequest or ProtocolError.Timeout)
            {
                cli.Error.WriteLine($"ferry: {ex.Message}");
                _lastExit = 1;
            }
            return true;
        }

        // cd is resolved by the remote shell itself, so the folder is checked on the server and comes back absolute.
        private async Task ChangeDirectoryAsync(string argument, CancellationToken ct)
        {
            // What the user typed is shell syntax ('sub dir', $VAR, ~user) and goes as is; folders we hold are quoted.
            string target = argument switch
            {
                "" or "~" => ShellQuoting.Quote(_home),
                "-" => ShellQuoting.Quote(_previous ?? _cwd),
                _ => argument,
            };
            var result = await client.ExecAsync($"cd -- {target} && pwd", _cwd, cancellationToken: ct).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                var message = Encoding.UTF8.GetString(result.StandardError).Trim();
                cli.Error.WriteLine(message.Length > 0 ? message : $"cd: {argument}: cannot change folder");
                _lastExit = 1;
                return;
            }
            _previous = _cwd;
            _cwd = LastLine(result.StandardOutput);
            _lastExit = 0;
        }

        // Polls for Ctrl+C (a key while TreatControlCAsInput is on) until disposed; commands get no stdin in the shell.
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The source goes to the Stopper returned, which cancels it; it is not disposed because the watcher may still read its token once more, and a source without a timer holds nothing the GC does not reclaim.")]
        private static IDisposable WatchCtrlC(CancellationTokenSource stop)
        {
            var done = new CancellationTokenSource();
            _ = Task.Run(async () =>
            {
                try
                {
                    while (!done.IsCancellationRequested)
                    {
                        while (Console.KeyAvailable)
                        {
                            var key = Console.ReadKey(intercept: true);
                            if (key.Key == ConsoleKey.C && (key.Modifiers & ConsoleModifiers.Control) != 0) await stop.CancelAsync().ConfigureAwait(false);
                        }
                        await Task.Delay(50, done.Token).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException)
                {
                    // The command finished.
                }
            });
            return new Stopper(done);
        }

        private static string LastLine(byte[] output)
        {
            var lines = Encoding.UTF8.GetString(output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return lines.Length == 0 ? "" : lines[^1].TrimEnd('\r');
        }
    }

    private sealed class Stopper(CancellationTokenSource done) : IDisposable
    {
        public void Dispose()
        {
            done.Cancel();
        }
    }
}

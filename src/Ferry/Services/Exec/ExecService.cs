using System.Diagnostics;
using Ferry.Protocol;
using Ferry.Security;
using Ferry.Server;
using Ferry.Contracts.Exec;

namespace Ferry.Services.Exec;

/// <summary>
/// Remote command execution (docs/protocol.md §5.3): <c>exec.start</c> runs one shell command line and streams its
/// stdout and stderr back live; <c>exec.stdin</c> feeds it; <c>exec.exit</c> ends the exchange with the exit code.
/// Off unless enabled; capped per connection and per server; every process tree dies with its request.
/// </summary>
public sealed class ExecService : IFerryService
{
    private const int MaxEnvironmentVariables = 256;
    private const int PtyMaxSize = 10000;
    // Each connection's running commands, killed when it ends.
    private static readonly ConnectionState<ExecTable> s_tables = new(static _ => new ExecTable());
    private readonly ExecOptions _options;
    private readonly string _directory;
    private readonly ExecProcessLimit? _limit;
    private int _running;

    /// <param name="options">What is allowed.</param>
    /// <param name="stateDirectory">The server's state folder; commands run in its <c>home</c> folder by default.</param>
    public ExecService(ExecOptions options, string stateDirectory)
    {
        _options = options;
        _directory = Path.GetFullPath(options.Directory ?? Path.Combine(stateDirectory, "home"));
        if (options.Enabled)
        {
            Directory.CreateDirectory(_directory);
            UnixProcesses.BecomeSubreaper();
            _limit = ExecProcessLimit.Create(options.MaxProcesses);
        }
    }

    /// <summary>The process limit commands run under (null while exec is off).</summary>
    internal ExecProcessLimit? ProcessLimit => _limit;

    /// <summary>The folder commands run in when the request names none.</summary>
    public string WorkingDirectory => _directory;

    /// <summary>Commands running on the whole server right now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary><c>exec.start</c> and what continues it (<c>exec.stdin</c>, <c>exec.resize</c>), all needing the <c>exec</c> right.</summary>
    public void MapRoutes(ServiceRoutes routes) => routes
        .Map(MessageTypes.ExecStart, StartAsync, Rights.Exec)
        .MapContinuation(MessageTypes.ExecStdin, OnStdinAsync, Rights.Exec)
        .MapContinuation(MessageTypes.ExecResize, OnResizeAsync, Rights.Exec);

    private void RequireEnabled()
    {
        if (!_options.Enabled)
        {
            throw new FerryException(ProtocolError.Disabled, "exec is disabled on this server; start it with --allow-exec");
        }
    }

    private ValueTask StartAsync(RequestContext request)
    {
        RequireEnabled();
        var start = request.Read(ExecJsonContext.Default.ExecStartRequest);
        var command = Validate(start);
        var directory = ResolveDirectory(start.Cwd);
        TimeSpan? timeout = start.Timeout is > 0 and var seconds ? TimeSpan.FromSeconds(Math.Min(seconds, int.MaxValue / 1000.0)) : null;
        if (_options.MaxDuration is { } max && (timeout is null || timeout > max)) timeout = max;

        var table = request.GetState(s_tables);
        if (!table.TryReserve(request.Id, _options.MaxPerConnection, out bool duplicate))
        {
            if (duplicate) throw new FerryException(ProtocolError.DuplicateId, $"request id {request.Id} is already running a command");
            throw new FerryException(ProtocolError.Busy,
                $"busy: this connection already runs {_options.MaxPerConnection} commands (the server's --max-exec-per-connection); wait for one to finish");
        }
        IRunningCommand? process = null;
        var processes = request.Session.Stats.Counter(ServerStats.ExecProcessesRunning);
        bool background = false;
        try
        {
            if (Interlocked.Increment(ref _running) > _options.MaxConcurrent)
            {
                throw new FerryException(ProtocolError.Busy,
                    $"busy: the server already runs {_options.MaxConcurrent} commands (its --max-exec limit); try again shortly");
            }
            process = start.Terminal is { } terminal
                ? PtyProcess.Start(start.Command, directory, start.Env, terminal, _options, _limit)
                : ExecProcess.Start(command!, directory, start.Env, _options, _limit);
            processes.Increment();
            table.Attach(request.Id, process);
            long id = request.Id;
            bool keepStdin = start.Stdin ?? true;
            int chunk = _options.ChunkBytes;
            var session = request.Session;
            var user = LogText.Escape(request.Principal.Name);
            var shown = LogText.Escape(command ?? "(login shell)");
            ExecLog.Started(session.Logger, user, session.RemoteAddress, id, shown);
            long began = Stopwatch.GetTimestamp();
            request.StartBackground(async ct =>
            {
                try
                {
                    ExecExitMessage exit;
                    try
                    {
                        exit = await process.RunAsync(request, keepStdin, timeout, chunk, ct).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is OperationCanceledException or IOException)
                    {
                        var reason = !ct.IsCancellationRequested ? "failed: " + LogText.Escape(ex.Message)
                            : request.CancellationToken.IsCancellationRequested ? "killed: the connection closed" : "killed: cancelled";
                        ExecLog.Stopped(session.Logger, user, session.RemoteAddress, id, reason, Stopwatch.GetElapsedTime(began).TotalSeconds, shown);
                        throw;
                    }
                    var detail = exit.TimedOut ? $" ({exit.Signal}, timed out)" : exit.Signal is { } signal ? $" ({signal})" : "";
                    ExecLog.Ended(session.Logger, user, session.RemoteAddress, id, exit.ExitCode, detail, Stopwatch.GetElapsedTime(began).TotalSeconds, shown);
                    // The id is free once exec.exit arrives (protocol.md §3.3), so it is freed before it is sent.
                    table.Release(id, process);
                    await request.ReplyAsync(MessageTypes.ExecExit, exit, ExecJsonContext.Default.ExecExitMessage, ct).ConfigureAwait(false);
                }
                finally
                {
                    processes.Decrement();
                    table.Release(id, process);
                    Interlocked.Decrement(ref _running);
                }
            });
            background = true;
            return ValueTask.CompletedTask;
        }
        catch when (!background)
        {
            if (process is not null)
            {
                processes.Decrement();
                _ = process.KillAsync();
            }
            table.Release(request.Id, process);
            Interlocked.Decrement(ref _running);
            throw;
        }
    }

    private ValueTask OnStdinAsync(RequestContext request)
    {
        RequireEnabled();
        var message = request.Read(ExecJsonContext.Default.ExecStdinMessage);
        var process = request.GetState(s_tables).Find(request.Id);
        // Input for a command that has already ended races with its exit frame; it is dropped, not an error.
        if (process is null) return request.Body.SkipAsync(request.CancellationToken);
        return process.WriteStdinAsync(request.Body, message.Eof, request.CancellationToken);
    }

    private ValueTask OnResizeAsync(RequestContext request)
    {
        RequireEnabled();
        var message = request.Read(ExecJsonContext.Default.ExecResizeMessage);
        CheckSize(message.Cols, message.Rows, "exec.resize");
        // A resize for a command that has ended (or runs on pipes) has nothing to resize: dropped, like late input.
        if (request.GetState(s_tables).Find(request.Id) is PtyProcess pty) pty.Resize(message.Cols, message.Rows);
        return ValueTask.CompletedTask;
    }

    private static void CheckSize(int cols, int rows, string what)
    {
        if (cols is < 1 or > PtyMaxSize || rows is < 1 or > PtyMaxSize)
        {
            throw new FerryException(ProtocolError.BadRequest, $"{what}: 'cols' and 'rows' must be whole numbers from 1 to {PtyMaxSize} (got {cols}×{rows})");
        }
    }

    // A null command with a terminal is the login shell (ferry shell).
    private static string? Validate(ExecStartRequest start)
    {
        if (start.Terminal is { } terminal)
        {
            CheckSize(terminal.Cols, terminal.Rows, "'terminal'");
            if (terminal.Term is { } term && (term.Length is 0 or > 64 || term.Any(c => c is <= ' ' or > '~' or '=')))
            {
                throw new FerryException(ProtocolError.BadRequest, "'terminal.term' must be 1 to 64 printable ASCII characters without spaces or '=' (like xterm-256color)");
            }
        }
        if (start.Command is null && start.Terminal is not null)
        {
            ValidateEnvironment(start);
            return null;
        }
        if (string.IsNullOrWhiteSpace(start.Command))
        {
            throw new FerryException(ProtocolError.BadRequest, "exec.start needs a non-empty 'command' (only with 'terminal' may it be left out, for the login shell)");
        }
        if (start.Command.Contains('\0', StringComparison.Ordinal))
        {
            throw new FerryException(ProtocolError.BadRequest, "'command' must not contain NUL characters");
        }
        ValidateEnvironment(start);
        return start.Command;
    }

    private static void ValidateEnvironment(ExecStartRequest start)
    {
        if (start.Env is { } env)
        {
            if (env.Count > MaxEnvironmentVariables)
            {
                throw new FerryException(ProtocolError.BadRequest, $"'env' has {env.Count} variables; at most {MaxEnvironmentVariables} are allowed");
            }
            foreach (var (name, value) in env)
            {
                if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal)
                    || value is null || value.Contains('\0', StringComparison.Ordinal))
                {
                    throw new FerryException(ProtocolError.BadRequest, $"'env' variable '{name}' is not valid: names must be non-empty without '=' or NUL, values without NUL");
                }
            }
        }
        if (start.Timeout is < 0 || start.Timeout is double t && double.IsNaN(t))
        {
            throw new FerryException(ProtocolError.BadRequest, "'timeout' must be a number of seconds ≥ 0");
        }
    }

    private string ResolveDirectory(string? cwd)
    {
        if (string.IsNullOrEmpty(cwd)) return _directory;
        if (cwd.Contains('\0', StringComparison.Ordinal)) throw new FerryException(ProtocolError.BadRequest, "'cwd' must not contain NUL characters");
        var full = Path.GetFullPath(cwd, _directory);
        if (!Directory.Exists(full))
        {
            throw new FerryException(ProtocolError.NotFound, $"no such folder on the server: {full}");
        }
        return full;
    }
}

using System.Buffers;
using System.Collections;
using Ferry.Connections;
using Ferry.Contracts.Exec;
using Ferry.Protocol;

namespace Ferry.Services.Exec;

/// <summary>
/// One command on a pseudo-terminal (<c>exec.start</c> with <c>terminal</c>, docs/protocol.md §5.3): leader of its own
/// session with the terminal as controlling terminal, so job control, Ctrl+C/Ctrl+Z and <c>isatty</c> behave as under
/// sshd. Its one output stream is the terminal's master, read by a thread of its own that waits for each frame to be
/// sent before reading more (a slow client leaves the terminal full and the command blocked in write). Input is written
/// to the master straight from the connection's read loop (non-blocking) while the terminal takes it, so a keystroke
/// crosses no thread on its way in; what the terminal does not take at once waits in a backlog that a second thread
/// writes as room appears, so a command that does not read blocks neither the connection nor the thread pool. A third
/// waits for the leader's exit status (tracked, so the orphan reaper never takes it).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The session's lifetime is RunAsync, which closes the terminal's descriptors in CloseAsync. The semaphore (no wait handle taken) owns nothing the GC does not reclaim, and input arriving as the session ends may still touch it: disposing would turn that into an ObjectDisposedException.")]
internal sealed class PtyProcess : IRunningCommand
{
    private const int SigHup = 1;
    private const int StdinChunkBytes = 16 * 1024;
    private readonly int _master;
    private readonly int _wakeRead;
    private readonly int _wakeWrite;
    private readonly int _pid;
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _writerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // The backlog: input the terminal did not take at once, oldest first; _backlogOffset bytes of its head are written.
    // Every write to the master happens under _inputGate, so bytes reach it in the order they came.
    private readonly object _inputGate = new();
    private readonly Queue<byte[]> _backlog = new();
    private int _backlogOffset;
    private bool _inputStopped;
    private readonly SemaphoreSlim _inputProgress = new(0);
    private readonly long _inputLimit;
    private readonly TimeSpan _inputStall;
    private long _inputQueued;
    private long _inputWritten;
    private string? _failure;
    private int _killed;
    private int _closed;
    private readonly Lock _masterLock = new();
    private bool _masterClosed;
    private readonly ExecProcessLease? _lease; // its share of the process limit (a cgroup), null without one

    private PtyProcess(int master, (int Read, int Write) wake, int pid, ExecOptions options, ExecProcessLease? lease)
    {
        _master = master;
        _lease = lease;
        (_wakeRead, _wakeWrite) = wake;
        _pid = pid;
        _inputLimit = options.StdinBufferBytes;
        _inputStall = options.StdinStallTimeout;
        StartThread("ferry pty wait", () =>
        {
            int status = PseudoTerminal.WaitForExit(pid);
            UnixProcesses.Untrack(pid);
            _exit.TrySetResult(status);
        });
        StartThread("ferry pty input", WriteInput);
    }

    /// <summary>The session leader's pid (also the session and its first process group's id).</summary>
    public int Id => _pid;

    /// <summary>
    /// Starts <paramref name="command"/> (<c>/bin/sh -c</c>), or the server user's login shell (<c>-l</c>) when it is
    /// null, on a new terminal of the requested size; <c>TERM</c> comes from <paramref name="terminal"/>.
    /// </summary>
    public static PtyProcess Start(string? command, string directory, IReadOnlyDictionary<string, string>? environment, ExecTerminal terminal,
        ExecOptions options, ExecProcessLimit? limit = null)
    {
        if (!PseudoTerminal.Supported)
        {
            throw new FerryException(ProtocolError.Unsupported,
                "this server cannot run commands on a terminal (Linux servers only); run it without one (ferry exec -T, or 'terminal' left out)");
        }
        string[] argv;
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables()) variables[(string)entry.Key] = (string?)entry.Value ?? "";
        if (command is null)
        {
            var shell = PseudoTerminal.LoginShell();
            argv = [shell, "-l"];
            variables["SHELL"] = shell;
        }
        else
        {
            argv = ["/bin/sh", "-c", command];
        }
        if (environment is not null) foreach (var (name, value) in environment) variables[name] = value;
        variables["TERM"] = terminal.Term ?? "xterm";
        // The process limit (ExecProcessLimit) wraps the program so that it joins its cgroup before it runs.
        var lease = limit?.Begin();
        if (lease is not null) argv = [.. lease.Wrap(argv)];
        var (master, slave) = PseudoTerminal.Open(terminal.Cols, terminal.Rows);
        (int, int) wake = (-1, -1);
        try
        {
            wake = PseudoTerminal.WakePipe();
            int pid = UnixProcesses.SpawnTracked(() => PseudoTerminal.Spawn(argv, variables.Select(v => $"{v.Key}={v.Value}"), directory, slave));
            return new PtyProcess(master, wake, pid, options, lease);
        }
        catch
        {
            _ = lease?.EndAsync(TimeSpan.Zero);
            PseudoTerminal.CloseFd(master);
            PseudoTerminal.CloseFd(wake.Item1);
            PseudoTerminal.CloseFd(wake.Item2);
            throw;
        }
    }

    /// <summary>Sets the terminal's size (<c>exec.resize</c>); its foreground process group gets SIGWINCH.</summary>
    public void Resize(int cols, int rows)
    {
        lock (_masterLock)
        {
            if (!_masterClosed) PseudoTerminal.Resize(_master, cols, rows);
        }
    }

    public async Task<ExecExitMessage> RunAsync(Server.RequestContext request, bool keepStdin, TimeSpan? timeout, int chunkBytes,
        CancellationToken cancellationToken)
    {
        var reader = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        StartThread("ferry pty output", () =>
        {
            try
            {
                ReadOutput(request, chunkBytes, cancellationToken);
                reader.TrySetResult();
            }
            catch (Exception ex)
            {
                reader.TrySetException(ex);
            }
        });
        bool timedOut = false;
        try
        {
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                if (timeout is { } limit) deadline.CancelAfter(limit);
                try
                {
                    await _exit.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    timedOut = !cancellationToken.IsCancellationRequested;
                    await KillAsync().ConfigureAwait(false);
                }
            }
            // What the leader left running in its session (background jobs, other process groups) dies with it.
            await UnixProcesses.ReapSessionAsync(_pid, _pid, UnixProcesses.SigKill, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            // The terminal still holds what the leader wrote last; the reader ends at EIO once no process holds the
            // slave. One that escaped the session may still hold it: then what is buffered is read and the reader stops.
            await Task.WhenAny(reader.Task, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false);
            PseudoTerminal.Wake(_wakeWrite);
            await reader.Task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
            if (Volatile.Read(ref _failure) is { } failure) throw new FerryException(ProtocolError.Busy, failure);
            if (reader.Task.IsFaulted) await reader.Task.ConfigureAwait(false);
            int status = await _exit.Task.ConfigureAwait(false);
            // Reported as the pipe path does: 128+N for signal N, as shells report it.
            int code = status < 0 ? 255 : (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
            return new ExecExitMessage
            {
                ExitCode = code,
                Signal = code is > 128 and <= 128 + 64 ? UnixProcesses.SignalName(code - 128) : null,
                TimedOut = timedOut,
            };
        }
        finally
        {
            if (!_exit.Task.IsCompleted) await KillAsync().ConfigureAwait(false);
            PseudoTerminal.Wake(_wakeWrite);
            await reader.Task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await CloseAsync().ConfigureAwait(false);
            // Nothing outlives the command in its cgroup (not even what left its session), and the cgroup goes.
            if (_lease is not null) await _lease.EndAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
    }

    public async ValueTask WriteStdinAsync(FrameBodyReader body, bool eof, CancellationToken cancellationToken)
    {
        while (body.Remaining > 0)
        {
            var chunk = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
            int length = (int)Math.Min(chunk.Length, StdinChunkBytes);
            if (!IsTakingInput || !await WaitForRoomAsync(length, cancellationToken).ConfigureAwait(false))
            {
                body.Advance(chunk.Length);
                continue;
            }
            var part = chunk.Slice(0, length);
            Enqueue(part.IsSingleSegment ? part.FirstSpan : part.ToArray());
            body.Advance(length);
        }
        // A terminal has no end of input of its own: as on a keyboard, EOF is the VEOF character (Ctrl+D).
        if (eof && IsTakingInput) Enqueue([0x04]);
    }

    public async Task KillAsync()
    {
        if (Interlocked.Exchange(ref _killed, 1) == 0 && !_exit.Task.IsCompleted)
        {
            // A hang-up first, as when a terminal goes away (editors save their state), then SIGKILL for the rest.
            await UnixProcesses.ReapSessionAsync(_pid, _pid, SigHup, TimeSpan.Zero).ConfigureAwait(false);
            await ((Task)_exit.Task).WaitAsync(TimeSpan.FromMilliseconds(300)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await UnixProcesses.ReapSessionAsync(_pid, _pid, UnixProcesses.SigKill, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            _lease?.KillAll(); // and what left the session, still in the command's cgroup
        }
        // A process that survives SIGKILL for 10 s is stuck in the kernel; nothing more we can do.
        await ((Task)_exit.Task).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private bool IsTakingInput => Volatile.Read(ref _closed) == 0 && Volatile.Read(ref _failure) is null && !_exit.Task.IsCompleted;

    // Straight to the master while nothing waits before it; the rest (a terminal whose buffer is full) to the backlog.
    private void Enqueue(ReadOnlySpan<byte> bytes)
    {
        lock (_inputGate)
        {
            if (_inputStopped) return;
            int written = 0;
            if (_backlog.Count == 0)
            {
                while (written < bytes.Length)
                {
                    int n = PseudoTerminal.Write(_master, bytes[written..]);
                    if (n <= 0)
                    {
                        if (n == -2) return; // the terminal is gone: nothing will read this
                        break;
                    }
                    written += n;
                }
                if (written > 0) Progressed(written);
                if (written == bytes.Length) return;
            }
            _backlog.Enqueue(bytes[written..].ToArray());
            Interlocked.Add(ref _inputQueued, bytes.Length - written);
            Monitor.Pulse(_inputGate);
        }
    }

    private void Progressed(int written)
    {
        Interlocked.Add(ref _inputWritten, written);
        _inputProgress.Release();
    }

    // As on the pipe path (ExecProcess): past the bound, wait while the command reads; kill it once it reads nothing.
    private async ValueTask<bool> WaitForRoomAsync(int length, CancellationToken cancellationToken)
    {
        while (Interlocked.Read(ref _inputQueued) + length > _inputLimit && Interlocked.Read(ref _inputQueued) > 0)
        {
            long written = Interlocked.Read(ref _inputWritten);
            bool progressed = await _inputProgress.WaitAsync(_inputStall, cancellationToken).ConfigureAwait(false);
            if (!IsTakingInput) return false;
            if (!progressed && Interlocked.Read(ref _inputWritten) == written)
            {
                Volatile.Write(ref _failure,
                    $"busy: the command read none of its terminal input for {_inputStall.TotalSeconds:0.#} s while {Interlocked.Read(ref _inputQueued)} bytes waited " +
                    $"(the server queues at most {_inputLimit} bytes per command); it was killed");
                _ = KillAsync();
                return false;
            }
        }
        return true;
    }

    // Writes the backlog as the terminal makes room. Waits without spinning (Monitor.Wait, then poll): a spinning
    // writer would take the core the command and the output thread need to answer the keystroke it just wrote.
    private void WriteInput()
    {
        try
        {
            while (true)
            {
                lock (_inputGate)
                {
                    while (_backlog.Count == 0 && !_inputStopped) Monitor.Wait(_inputGate);
                    if (_inputStopped) return;
                }
                if (!PseudoTerminal.WaitReady(_master, write: true, _wakeRead)) return; // stopped
                lock (_inputGate)
                {
                    while (!_inputStopped && _backlog.TryPeek(out var head))
                    {
                        int n = PseudoTerminal.Write(_master, head.AsSpan(_backlogOffset));
                        if (n == -2) return; // gone
                        if (n <= 0) break; // full again: wait for room
                        _backlogOffset += n;
                        Interlocked.Add(ref _inputQueued, -n);
                        Progressed(n);
                        if (_backlogOffset == head.Length)
                        {
                            _backlog.Dequeue();
                            _backlogOffset = 0;
                        }
                    }
                }
            }
        }
        finally
        {
            _writerDone.TrySetResult();
        }
    }

    // Each chunk is sent, and its send awaited, before the next read: back-pressure reaches the command through the
    // terminal's buffer. Once woken, what is still buffered is read without waiting, then the reader ends.
    private void ReadOutput(Server.RequestContext request, int chunkBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(chunkBytes);
        try
        {
            bool draining = false;
            while (true)
            {
                int n = PseudoTerminal.Read(_master, buffer.AsSpan(0, chunkBytes));
                if (n > 0)
                {
                    request.SendAsync(MessageTypes.ExecStdout, buffer.AsMemory(0, n), cancellationToken)
                        .AsTask().GetAwaiter().GetResult();
                    continue;
                }
                if (n == -1 && !draining)
                {
                    draining = !PseudoTerminal.WaitReady(_master, write: false, _wakeRead);
                    continue;
                }
                return; // end of file, EIO (no process holds the slave any more), or drained
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task CloseAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        lock (_inputGate)
        {
            _inputStopped = true;
            Monitor.PulseAll(_inputGate);
        }
        PseudoTerminal.Wake(_wakeWrite);
        await _writerDone.Task.ConfigureAwait(false);
        // Both threads are done with the fds: closing cannot pull one from under a read.
        lock (_masterLock)
        {
            _masterClosed = true;
            PseudoTerminal.CloseFd(_master);
        }
        PseudoTerminal.CloseFd(_wakeRead);
        PseudoTerminal.CloseFd(_wakeWrite);
    }

    private static void StartThread(string name, Action body) =>
        new Thread(() => body()) { IsBackground = true, Name = name }.Start();
}

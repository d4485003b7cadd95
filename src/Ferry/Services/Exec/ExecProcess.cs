using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using System.Threading.Channels;
using Ferry.Connections;
using Ferry.Server;
using Ferry.Protocol;
using Ferry.Contracts.Exec;

namespace Ferry.Services.Exec;

/// <summary>
/// One running command: its process (leader of its own process group), the pumps that stream its stdout and
/// stderr as frames, its stdin, and the kill that takes down everything it started.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The command's lifetime is RunAsync, which releases the process, its pipes and its cgroup when it returns. The CTS (no timer, never linked) and the semaphore (no wait handle taken) own nothing the GC does not reclaim, and a stdin frame arriving as the command ends may still Release it: disposing would turn that into an ObjectDisposedException.")]
internal sealed class ExecProcess : IRunningCommand
{
    private const int PipeBytes = 1024 * 1024;
    private const int StdinChunkBytes = 64 * 1024;
    private readonly Process _process;
    private readonly int _group; // process group id, 0 when the platform gives us none
    private readonly Stream _stdin;
    private readonly CancellationTokenSource _ended = new();
    // exec.stdin is queued here and written to the command's pipe by its own task, so a command that does not read
    // its input blocks that task, never the connection's read loop (which must still see cancel and ping).
    private readonly Channel<StdinChunk> _stdinQueue = Channel.CreateUnbounded<StdinChunk>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _stdinProgress = new(0);
    private readonly long _stdinLimit;
    private readonly TimeSpan _stdinStall;
    private long _stdinQueued;
    private long _stdinWritten;
    private string? _failure; // why the server ended the command itself (input it never read), for the error frame
    private int _stdinClosed;
    private int _killed;
    private readonly ExecProcessLease? _lease; // its share of the process limit (a cgroup), null without one

    private ExecProcess(Process process, int group, long stdinLimit, TimeSpan stdinStall, ExecProcessLease? lease)
    {
        _process = process;
        _lease = lease;
        _group = group;
        _stdin = process.StandardInput.BaseStream;
        _stdinLimit = stdinLimit;
        _stdinStall = stdinStall;
        _ = Task.Run(PumpStdinAsync);
    }

    /// <summary>The command's process id (the leader of its process group).</summary>
    public int Id { get; private set; }

    /// <summary>Cancelled once the command has ended and been cleaned up.</summary>
    public CancellationToken Ended => _ended.Token;

    /// <summary>Starts <paramref name="command"/> in <paramref name="directory"/>; throws a <see cref="FerryException"/> when it cannot.</summary>
    public static ExecProcess Start(string command, string directory, IReadOnlyDictionary<string, string>? environment, ExecOptions options,
        ExecProcessLimit? limit = null)
    {
        var info = new ProcessStartInfo
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The process limit (ExecProcessLimit) wraps the shell so that it joins its cgroup (or takes its rlimit)
        // before the command's first instruction; everything it then starts is inside the limit.
        var lease = limit?.Begin();
        IReadOnlyList<string> argv = OperatingSystem.IsWindows()
            ? [Environment.GetEnvironmentVariable("ComSpec") ?? "cmd.exe", "/d", "/s", "/c", command]
            : lease?.Wrap(["/bin/sh", "-c", command]) ?? ["/bin/sh", "-c", command];
        // setsid execs what follows in place (same pid) as leader of a new session and process group.
        if (!OperatingSystem.IsWindows() && UnixProcesses.SetsidPath is { } setsid) argv = [setsid, .. argv];
        info.FileName = argv[0];
        foreach (var argument in argv.Skip(1)) info.ArgumentList.Add(argument);
        if (environment is not null)
        {
            foreach (var (name, value) in environment) info.Environment[name] = value;
        }
        try
        {
            // Started and recorded under the reaper's lock: the orphan reaper must never take this child's exit status,
            // which .NET's Process class waits for, not even in the moment before it is recorded.
            var process = UnixProcesses.StartTracked(info);
            return new ExecProcess(process, UnixProcesses.SetsidPath is null ? 0 : process.Id, options.StdinBufferBytes, options.StdinStallTimeout, lease)
            {
                Id = process.Id,
            };
        }
        catch (Win32Exception ex)
        {
            _ = lease?.EndAsync(TimeSpan.Zero);
            throw new FerryException(ProtocolError.IoError, $"cannot start the shell: {ex.Message}");
        }
    }

    /// <summary>
    /// Streams output until the command ends, then returns how it ended. Cancelling <paramref name="cancellationToken"/>
    /// (client cancel or disconnect) or running past <paramref name="timeout"/> kills the whole process tree.
    /// </summary>
    public async Task<ExecExitMessage> RunAsync(RequestContext request, bool keepStdin, TimeSpan? timeout, int chunkBytes,
        CancellationToken cancellationToken)
    {
        if (!keepStdin) CloseStdin();
        UnixProcesses.TryGrowPipe(_process.StandardOutput.BaseStream, PipeBytes);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stdout = PumpAsync(_process.StandardOutput.BaseStream, request, MessageTypes.ExecStdout, chunkBytes, stop.Token);
        var stderr = PumpAsync(_process.StandardError.BaseStream, request, MessageTypes.ExecStderr, chunkBytes, stop.Token);
        bool timedOut = false;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (timeout is { } limit) deadline.CancelAfter(limit);
            try
            {
                await _process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                timedOut = !cancellationToken.IsCancellationRequested;
                await KillAsync().ConfigureAwait(false);
                stop.Cancel();
            }
            // Whatever the shell left running in its group (background jobs) dies with it: no orphans.
            await ReapLeftoversAsync().ConfigureAwait(false);
            // The pipes' write ends are all closed now, so the pumps reach end of file after sending what is buffered.
            await Task.WhenAll(stdout, stderr).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
            if (Volatile.Read(ref _failure) is { } failure) throw new FerryException(ProtocolError.Busy, failure);
            if (stdout.IsFaulted) await stdout.ConfigureAwait(false);
            if (stderr.IsFaulted) await stderr.ConfigureAwait(false);
            int code = _process.ExitCode;
            return new ExecExitMessage
            {
                ExitCode = code,
                // 128+N is how shells report "ended by signal N"; .NET reports a signalled process the same way.
                Signal = code is > 128 and <= 128 + 64 ? UnixProcesses.SignalName(code - 128) : null,
                TimedOut = timedOut,
            };
        }
        finally
        {
            // Only a command still running is killed here: once the leader is reaped and its group empty, the group id
            // may be reused by an unrelated process.
            if (!_process.HasExited) await KillAsync().ConfigureAwait(false);
            _stdinQueue.Writer.TryComplete();
            CloseStdin();
            _ended.Cancel();
            // Reaped by .NET by now (HasExited): the orphan reaper may look at this pid again (it may be reused).
            if (_process.HasExited) UnixProcesses.Untrack(Id);
            _process.Dispose();
            // Nothing outlives the command in its cgroup (not even what left its session), and the cgroup goes.
            if (_lease is not null) await _lease.EndAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            UnixProcesses.ReapOrphans(); // what the command left behind in other sessions, at once
        }
    }

    /// <summary>
    /// Queues input bytes for the command without waiting for it to read them: the frame's body is taken off the
    /// connection at once. Input for a command that stopped reading or ended is dropped. Past the queue's bound
    /// (<see cref="ExecOptions.StdinBufferBytes"/>) this waits while the command is still reading (back-pressure);
    /// if it reads nothing for <see cref="ExecOptions.StdinStallTimeout"/>, the command is killed and the exchange
    /// ends with <c>busy</c>, so a command that never reads cannot hold the connection.
    /// </summary>
    public async ValueTask WriteStdinAsync(FrameBodyReader body, bool eof, CancellationToken cancellationToken)
    {
        while (body.Remaining > 0)
        {
            var chunk = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (!IsTakingInput)
            {
                body.Advance(chunk.Length);
                continue;
            }
            int length = (int)Math.Min(chunk.Length, StdinChunkBytes);
            if (!await WaitForRoomAsync(length, cancellationToken).ConfigureAwait(false))
            {
                body.Advance(chunk.Length);
                continue;
            }
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            chunk.Slice(0, length).CopyTo(buffer);
            body.Advance(length);
            Interlocked.Add(ref _stdinQueued, length);
            if (!_stdinQueue.Writer.TryWrite(new StdinChunk(buffer, length)))
            {
                Interlocked.Add(ref _stdinQueued, -length);
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        if (eof) _stdinQueue.Writer.TryWrite(new StdinChunk(null, 0)); // closes stdin after what is queued
    }

    private bool IsTakingInput => Volatile.Read(ref _stdinClosed) == 0 && !_ended.IsCancellationRequested && Volatile.Read(ref _failure) is null;

    // True when the bytes fit (now or after the command read some); false when the input is to be dropped.
    private async ValueTask<bool> WaitForRoomAsync(int length, CancellationToken cancellationToken)
    {
        while (Interlocked.Read(ref _stdinQueued) + length > _stdinLimit && Interlocked.Read(ref _stdinQueued) > 0)
        {
            long written = Interlocked.Read(ref _stdinWritten);
            bool progressed = await _stdinProgress.WaitAsync(_stdinStall, cancellationToken).ConfigureAwait(false);
            if (!IsTakingInput) return false;
            if (!progressed && Interlocked.Read(ref _stdinWritten) == written)
            {
                Volatile.Write(ref _failure,
                    $"busy: the command read none of its input for {_stdinStall.TotalSeconds:0.#} s while {Interlocked.Read(ref _stdinQueued)} bytes of exec.stdin waited " +
                    $"(the server queues at most {_stdinLimit} bytes per command); it was killed");
                _ = KillAsync();
                return false;
            }
        }
        return true;
    }

    private async Task PumpStdinAsync()
    {
        await foreach (var chunk in _stdinQueue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (chunk.Buffer is null)
            {
                CloseStdin();
                continue;
            }
            try
            {
                if (Volatile.Read(ref _stdinClosed) == 0)
                {
                    await _stdin.WriteAsync(chunk.Buffer.AsMemory(0, chunk.Length)).ConfigureAwait(false);
                    await _stdin.FlushAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
            {
                // The command closed its input or ended (EPIPE): like a pipe in a shell, the rest is discarded.
                CloseStdin();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk.Buffer);
                Interlocked.Add(ref _stdinQueued, -chunk.Length);
                Interlocked.Add(ref _stdinWritten, chunk.Length);
                _stdinProgress.Release();
            }
        }
    }

    private readonly record struct StdinChunk(byte[]? Buffer, int Length);

    /// <summary>Kills the command's whole process tree (idempotent) and waits until the shell is reaped.</summary>
    public async Task KillAsync()
    {
        if (_ended.IsCancellationRequested) return;
        if (Interlocked.Exchange(ref _killed, 1) == 0)
        {
            try
            {
                // The group first (one signal reaches every member, even those whose parent already died), then the
                // tree, for descendants that left the group.
                if (_group != 0) UnixProcesses.KillGroup(_group);
                _lease?.KillAll(); // and what left both, still in the command's cgroup
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
            {
                // Already gone.
            }
        }
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            // A process that survives SIGKILL for 10 s is stuck in the kernel; nothing more we can do.
        }
        await ReapLeftoversAsync().ConfigureAwait(false);
        if (_lease is not null) await _lease.EndAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    private Task ReapLeftoversAsync() =>
        _group == 0 ? Task.CompletedTask : UnixProcesses.ReapGroupAsync(_group, _group, TimeSpan.FromSeconds(2));

    private void CloseStdin()
    {
        if (Interlocked.Exchange(ref _stdinClosed, 1) != 0) return;
        try
        {
            _stdin.Dispose();
        }
        catch (IOException)
        {
            // The command already closed its end.
        }
    }

    // Back-pressure: at most one frame is in flight while the next chunk is read from the pipe (two buffers), so a slow
    // client leaves the pipe full and the command blocked in write(), and server memory stays at two chunks per stream.
    // Overlapping the pipe read with the socket send is what lets output run at pipe speed.
    private static async Task PumpAsync(Stream pipe, RequestContext request, string type, int chunkBytes, CancellationToken cancellationToken)
    {
        var current = ArrayPool<byte>.Shared.Rent(chunkBytes);
        var other = ArrayPool<byte>.Shared.Rent(chunkBytes);
        ValueTask inFlight = ValueTask.CompletedTask;
        try
        {
            while (true)
            {
                int n;
                try
                {
                    n = await pipe.ReadAsync(current.AsMemory(0, chunkBytes), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    // Never leave a send running past this method: its buffer goes back to the pool below.
                    var previous = inFlight;
                    inFlight = ValueTask.CompletedTask;
                    await previous.ConfigureAwait(false);
                }
                if (n == 0) return;
                inFlight = request.SendAsync(type, current.AsMemory(0, n), cancellationToken);
                (current, other) = (other, current);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(other);
            await pipe.DisposeAsync().ConfigureAwait(false);
        }
    }
}

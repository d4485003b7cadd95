using System.Buffers;
using Ferry.Protocol;
using Ferry.Contracts.Exec;

namespace Ferry.Client;

/// <summary>Remote command execution from the client side. Any number of commands may run at once on one client.</summary>
public static class FerryExecClientExtensions
{
    private const int StdinChunkBytes = 32 * 1024;

    /// <summary>
    /// Runs <paramref name="command"/> on the server, streaming its output to the command's consumers as it is printed
    /// and its <see cref="RemoteCommand.StandardInput"/> to it, and returns how it ended. Cancelling
    /// <paramref name="cancellationToken"/> kills the remote command and everything it started.
    /// </summary>
    /// <exception cref="FerryException">The server refused (<c>disabled</c>, <c>forbidden</c>, <c>busy</c>, <c>not_found</c> for a missing folder...).</exception>
    public static async Task<ExecResult> ExecAsync(this FerryClient client, RemoteCommand command, CancellationToken cancellationToken = default)
    {
        long id = client.NextId();
        var sink = new ExecSink(command);
        client.Register(id, sink);
        using var stdinStop = new CancellationTokenSource();
        try
        {
            var start = new ExecStartRequest
            {
                Command = command.IsLoginShell ? null : command.CommandLine,
                Cwd = command.WorkingDirectory,
                Env = command.Environment is null ? null : new Dictionary<string, string>(command.Environment, StringComparer.Ordinal),
                Timeout = command.Timeout?.TotalSeconds,
                Stdin = command.StandardInput is not null,
                Terminal = command.Terminal is { } terminal
                    ? new ExecTerminal { Cols = terminal.Size.Columns, Rows = terminal.Size.Rows, Term = terminal.Term }
                    : null,
            };
            await client.Connection.SendAsync(MessageTypes.ExecStart, id, start, ExecJsonContext.Default.ExecStartRequest, cancellationToken).ConfigureAwait(false);
            if (command.StandardInput is { } input) _ = PumpStdinAsync(client, id, input, stdinStop.Token);
            if (command.Terminal is { } resized) _ = PumpResizesAsync(client, id, resized, stdinStop.Token);
            try
            {
                return await sink.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ask the server to kill it, and give it a moment to confirm, so the caller knows it is gone.
                await client.TrySendCancelAsync(id).ConfigureAwait(false);
                await ((Task)sink.Task).WaitAsync(client.Options.CancelConfirmTimeout, client.Options.Time, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw;
            }
        }
        finally
        {
            stdinStop.Cancel();
            client.Unregister(id);
        }
    }

    /// <summary>Runs <paramref name="commandLine"/> without input and returns its exit status and output (each kept up to <paramref name="maxOutputBytes"/>).</summary>
    public static async Task<ExecOutput> ExecAsync(this FerryClient client, string commandLine, string? workingDirectory = null,
        int maxOutputBytes = 16 * 1024 * 1024, CancellationToken cancellationToken = default)
    {
        var stdout = new ArrayBufferWriter<byte>();
        var stderr = new ArrayBufferWriter<byte>();
        ValueTask Keep(ArrayBufferWriter<byte> target, ReadOnlyMemory<byte> data)
        {
            if (target.WrittenCount + data.Length > maxOutputBytes)
            {
                throw new FerryException(ProtocolError.BadRequest, $"the command printed more than {maxOutputBytes} bytes; stream its output instead");
            }
            target.Write(data.Span);
            return ValueTask.CompletedTask;
        }
        var result = await client.ExecAsync(new RemoteCommand(commandLine)
        {
            WorkingDirectory = workingDirectory,
            OnStandardOutput = (data, _) => Keep(stdout, data),
            OnStandardError = (data, _) => Keep(stderr, data),
        }, cancellationToken).ConfigureAwait(false);
        return new ExecOutput(result, stdout.WrittenSpan.ToArray(), stderr.WrittenSpan.ToArray());
    }

    // Sends the terminal's size each time it changes, latest first: sizes set while one is being sent collapse into one.
    private static async Task PumpResizesAsync(FerryClient client, long id, RemoteTerminal terminal, CancellationToken cancellationToken)
    {
        using var changed = new SemaphoreSlim(0);
        terminal.OnChanged(() =>
        {
            if (changed.CurrentCount == 0) changed.Release();
        });
        try
        {
            var sent = terminal.Size;
            while (true)
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                var size = terminal.Size;
                if (size == sent) continue;
                await client.Connection.SendAsync(MessageTypes.ExecResize, id, new ExecResizeMessage { Cols = size.Columns, Rows = size.Rows },
                    ExecJsonContext.Default.ExecResizeMessage, cancellationToken).ConfigureAwait(false);
                sent = size;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or Connections.ConnectionClosedException)
        {
            // The command ended or the connection closed.
        }
        finally
        {
            terminal.OnChanged(null);
        }
    }

    // Runs until the input ends (then sends EOF) or the command finishes. A console input that ignores cancellation is
    // simply abandoned when the command ends.
    private static async Task PumpStdinAsync(FerryClient client, long id, Stream input, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(StdinChunkBytes);
        try
        {
            while (true)
            {
                int n = await input.ReadAsync(buffer.AsMemory(0, StdinChunkBytes), cancellationToken).ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested) return;
                var message = new ExecStdinMessage { Eof = n == 0 };
                await client.Connection.SendAsync(MessageTypes.ExecStdin, id, message, ExecJsonContext.Default.ExecStdinMessage,
                    buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                if (n == 0) return;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or Connections.ConnectionClosedException)
        {
            // The command ended or the connection closed; its input no longer matters.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

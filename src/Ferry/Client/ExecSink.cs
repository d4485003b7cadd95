using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Contracts.Exec;

namespace Ferry.Client;

/// <summary>
/// Receives one exec exchange's frames on the client's read loop: output goes to the command's consumers (awaited, so
/// a slow consumer is back-pressure), <c>exec.exit</c> or an error ends it.
/// </summary>
internal sealed class ExecSink : IResponseSink
{
    private readonly TaskCompletionSource<ExecResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask>? _stdout;
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask>? _stderr;

    public ExecSink(RemoteCommand command)
    {
        _stdout = command.OnStandardOutput ?? (command.StandardOutput is { } o ? o.WriteAsync : null);
        _stderr = command.OnStandardError ?? (command.StandardError is { } e ? e.WriteAsync : null);
    }

    public Task<ExecResult> Task => _result.Task;

    public async ValueTask OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
    {
        if (header.Type == MessageTypes.ExecStdout || header.Type == MessageTypes.ExecStderr)
        {
            var consumer = header.Type == MessageTypes.ExecStdout ? _stdout : _stderr;
            if (consumer is null || _result.Task.IsCompleted)
            {
                await body.SkipAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            while (body.Remaining > 0)
            {
                var chunk = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    foreach (var segment in chunk) await consumer(segment, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // The consumer failed (say, our stdout was closed): this exec ends with its error; the connection stays.
                    _result.TrySetException(ex);
                    body.Advance(chunk.Length);
                    await body.SkipAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }
                body.Advance(chunk.Length);
            }
            return;
        }
        if (header.Type == MessageTypes.ExecExit)
        {
            try
            {
                var exit = header.ReadPayload(ExecJsonContext.Default.ExecExitMessage);
                _result.TrySetResult(new ExecResult(exit.ExitCode, exit.Signal, exit.TimedOut));
            }
            catch (FerryException ex)
            {
                _result.TrySetException(ex);
            }
            return;
        }
        if (header.Type == MessageTypes.Error)
        {
            _result.TrySetException(ErrorFrames.ToException(header));
            return;
        }
        _result.TrySetException(new FerryException(ProtocolError.BadRequest, $"unexpected '{header.Type}' frame in an exec exchange"));
    }

    public void Fail(Exception exception) => _result.TrySetException(exception);
}

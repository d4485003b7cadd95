using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Contracts.Files;
using Ferry.Transfers;

namespace Ferry.Client;

/// <summary>The server's answers to one upload: <c>file.ready</c>, then <c>ok</c> — or an <c>error</c> at any point.</summary>
internal sealed class UploadSink : IResponseSink
{
    private readonly TaskCompletionSource<FileReady> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<FileResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<FileReady> Ready => _ready.Task;

    public Task<FileResult> Result => _result.Task;

    public ValueTask OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
    {
        try
        {
            if (ReferenceEquals(header.Type, MessageTypes.Error))
            {
                Fail(ErrorFrames.ToException(header));
            }
            else if (ReferenceEquals(header.Type, MessageTypes.FileReady))
            {
                _ready.TrySetResult(header.ReadPayload(FilesJsonContext.Default.FileReady));
            }
            else if (ReferenceEquals(header.Type, MessageTypes.Ok))
            {
                _result.TrySetResult(header.ReadPayload(FilesJsonContext.Default.FileResult));
            }
        }
        catch (FerryException ex)
        {
            Fail(ex);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Throws the server's error if it already sent one, so the sender stops early.</summary>
    public void ThrowIfFailed()
    {
        if (_result.Task.IsFaulted) _result.Task.GetAwaiter().GetResult();
    }

    public void Fail(Exception exception)
    {
        _ready.TrySetException(exception);
        _result.TrySetException(exception);
        _ = _ready.Task.Exception;
        _ = _result.Task.Exception;
    }
}

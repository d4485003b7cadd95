using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Contracts.Files;
using Ferry.Transfers;

namespace Ferry.Client;

/// <summary>
/// Receives one download on the client's read loop: <c>file.ready</c>, <c>file.data</c> chunks straight into the
/// target (a <c>.part</c> file or a stream) (the read loop waits for each write: that is the back-pressure), and <c>file.done</c> with the sender's hash.
/// Never throws into the read loop: failures complete <see cref="Completion"/> instead.
/// </summary>
internal sealed class DownloadSink : IResponseSink
{
    private readonly TaskCompletionSource<(FileReady Ready, string Expected, string Actual)> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IReceiveTarget _writer;
    private readonly string _name;
    private readonly Action<FileTransferProgress>? _progress;
    private FileReady? _ready;

    public DownloadSink(IReceiveTarget writer, string name, Action<FileTransferProgress>? progress)
    {
        _writer = writer;
        _name = name;
        _progress = progress;
    }

    /// <summary>The announced file, the sender's SHA-256 and the SHA-256 of what was written.</summary>
    public Task<(FileReady Ready, string Expected, string Actual)> Completion => _done.Task;

    public FileReady? ReadyMessage => _ready;

    public bool Restarted { get; private set; }

    public async ValueTask OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
    {
        if (_done.Task.IsCompleted) return;
        try
        {
            if (ReferenceEquals(header.Type, MessageTypes.Error))
            {
                Fail(ErrorFrames.ToException(header));
            }
            else if (ReferenceEquals(header.Type, MessageTypes.FileReady))
            {
                var ready = header.ReadPayload(FilesJsonContext.Default.FileReady);
                if (ready.Offset != _writer.Position)
                {
                    if (ready.Offset != 0) throw new FerryException(ProtocolError.BadRequest, $"the server offered to resume '{_name}' at byte {ready.Offset}, but {_writer.Position} are here");
                    // Our partial copy was not the start of this file: start over.
                    await _writer.RestartAsync(cancellationToken).ConfigureAwait(false);
                    Restarted = true;
                }
                _ready = ready;
                _progress?.Invoke(new FileTransferProgress(_name, _writer.Position, ready.Length));
            }
            else if (ReferenceEquals(header.Type, MessageTypes.FileData))
            {
                var ready = _ready ?? throw new FerryException(ProtocolError.BadRequest, "file.data came before file.ready");
                var data = header.ReadPayload(FilesJsonContext.Default.FileData);
                if (data.Offset != _writer.Position || body.Length > ready.Length - _writer.Position)
                {
                    throw new FerryException(ProtocolError.BadRequest, $"file.data for '{_name}' at byte {data.Offset} does not fit ({_writer.Position} of {ready.Length} written)");
                }
                while (body.Remaining > 0)
                {
                    var chunk = await body.ReadAtLeastAsync(PartFile.BatchBytes, cancellationToken).ConfigureAwait(false);
                    await _writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                    body.Advance(chunk.Length);
                }
                _progress?.Invoke(new FileTransferProgress(_name, _writer.Position, ready.Length));
            }
            else if (ReferenceEquals(header.Type, MessageTypes.FileDone))
            {
                var ready = _ready ?? throw new FerryException(ProtocolError.BadRequest, "file.done came before file.ready");
                var done = header.ReadPayload(FilesJsonContext.Default.FileDone);
                var actual = await _writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
                if (_writer.Position != ready.Length)
                {
                    throw new FerryException(ProtocolError.IoError, $"'{_name}' ended after {_writer.Position} of {ready.Length} bytes");
                }
                _done.TrySetResult((ready, done.Sha256 ?? "", actual));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Fail(ex);
        }
    }

    public void Fail(Exception exception)
    {
        _done.TrySetException(exception);
        _ = _done.Task.Exception;
    }
}

using System.Threading.Tasks.Sources;
using Ferry.Client;
using Ferry.Connections;
using Ferry.Protocol;

namespace Ferry.Cli.Commands.Bench;

/// <summary>
/// A reusable response sink for one benchmark worker: no allocation per round trip. The worker's continuation
/// runs inline on the client's read loop, as an event-loop server would, which saves a thread hop per message.
/// </summary>
internal sealed class EchoProbe : IResponseSink, IValueTaskSource<bool>
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };

    public long ExpectedSize { get; set; }

    public ValueTask<bool> WaitAsync() => new(this, _core.Version);

    public void Reset() => _core.Reset();

    public async ValueTask OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
    {
        if (ReferenceEquals(header.Type, MessageTypes.Error))
        {
            _core.SetException(ErrorFrames.ToException(header));
            return;
        }
        bool ok = body.Length == ExpectedSize;
        await body.SkipAsync(cancellationToken).ConfigureAwait(false);
        _core.SetResult(ok);
    }

    public void Fail(Exception exception)
    {
        try
        {
            _core.SetException(exception);
        }
        catch (InvalidOperationException)
        {
            // Already completed for this round.
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

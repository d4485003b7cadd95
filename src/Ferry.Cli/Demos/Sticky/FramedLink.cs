using System.IO.Pipelines;
using System.Net.Sockets;
using Ferry.Connections;

namespace Ferry.Cli.Demos.Sticky;

/// <summary>
/// Ferry's real framing over a <see cref="LoopbackPair"/>: a <see cref="FrameConnection"/> sending on the client
/// socket, another reading on the server socket (through a <see cref="ReadRecordingStream"/> when the demo
/// wants to see or cap each socket read).
/// </summary>
internal sealed class FramedLink : IAsyncDisposable
{
    private readonly LoopbackPair _pair;
    private bool _senderDone;

    private FramedLink(LoopbackPair pair, FrameConnection sender, FrameConnection receiver)
    {
        _pair = pair;
        Sender = sender;
        Receiver = receiver;
    }

    public FrameConnection Sender { get; }

    public FrameConnection Receiver { get; }

    public static FramedLink Open(LoopbackPair pair, Func<int, int>? readCap = null, Action<byte[]>? onRead = null)
    {
        var sendStream = new NetworkStream(pair.Client, ownsSocket: false);
        var sender = new FrameConnection(
            new SocketPipe(PipeReader.Create(sendStream), PipeWriter.Create(sendStream)),
            () => pair.Client.Close(0));
        Stream receiveStream = new NetworkStream(pair.Server, ownsSocket: false);
        if (readCap is not null || onRead is not null)
        {
            receiveStream = new ReadRecordingStream(receiveStream, readCap ?? (_ => int.MaxValue), onRead ?? (_ => { }));
        }
        var receiver = new FrameConnection(
            new SocketPipe(PipeReader.Create(receiveStream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1)), PipeWriter.Create(Stream.Null)),
            () => pair.Server.Close(0));
        return new FramedLink(pair, sender, receiver);
    }

    /// <summary>Flushes and closes the sending side (FIN), so the receiver's read loop ends once it has read everything.</summary>
    public async Task FinishSendingAsync()
    {
        if (_senderDone) return;
        _senderDone = true;
        await Sender.DisposeAsync().ConfigureAwait(false);
        _pair.Client.Shutdown(SocketShutdown.Send);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_senderDone) await Sender.DisposeAsync().ConfigureAwait(false);
        await Receiver.DisposeAsync().ConfigureAwait(false);
    }

    private sealed record SocketPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}

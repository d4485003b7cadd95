using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Ferry.Client;

/// <summary>Opens the byte stream a client speaks over: a TCP or Unix socket.</summary>
internal static class ClientTransport
{
    public static async Task<(Socket Socket, Stream Stream)> ConnectAsync(FerryTarget target, CancellationToken cancellationToken)
    {
        var endPoint = target.ToEndPoint();
        Socket socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : endPoint is IPEndPoint ip
                ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
                : new Socket(SocketType.Stream, ProtocolType.Tcp); // dual-mode: tries every address the name resolves to
        try
        {
            if (socket.AddressFamily != AddressFamily.Unix) socket.NoDelay = true; // a frame must not wait for Nagle
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return (socket, new NetworkStream(socket, ownsSocket: true));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static IDuplexPipe CreatePipe(Stream stream) => new StreamDuplexPipe(
        PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true)),
        PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true)));

    private sealed record StreamDuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}

using Ferry.Connections;
using Ferry.Protocol;

namespace Ferry.Client;

/// <summary>
/// Receives the frames the server sends for one request id. The body must be consumed before the returned
/// task completes; a slow sink slows the connection, which is the back-pressure.
/// </summary>
public interface IResponseSink
{
    /// <summary>Handles one frame for the request; the body must be read (or skipped) before the task completes.</summary>
    ValueTask OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken);

    /// <summary>The connection failed or closed before the request finished.</summary>
    void Fail(Exception exception);
}

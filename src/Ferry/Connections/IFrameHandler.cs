using Ferry.Protocol;

namespace Ferry.Connections;

/// <summary>
/// Receives each frame from a <see cref="FrameConnection"/>'s read loop, one at a time. The body must be
/// consumed (or left to be skipped) before the returned task completes; <see cref="FrameHeader.Json"/>
/// is valid only until the body is first read.
/// </summary>
public interface IFrameHandler
{
    /// <summary>Handles one frame. The body streams from the connection: read it (or leave it, and the loop skips the rest) before the task completes.</summary>
    ValueTask OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken);
}

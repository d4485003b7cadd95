using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Security;

namespace Ferry.Server;

/// <summary>
/// Runs the authentication step between hello and the first request (docs/protocol.md §3.2).
/// Until it returns a principal, the session routes every frame here.
/// </summary>
public interface IServerAuthenticator
{
    /// <summary>Methods advertised in the hello response, in order of preference.</summary>
    string[] Methods { get; }

    /// <summary>
    /// Handles one handshake frame. Returns the principal once authentication succeeded, or null to wait for
    /// the next frame. On failure it answers and aborts the connection itself.
    /// </summary>
    ValueTask<Principal?> OnFrameAsync(ServerSession session, FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken);
}

namespace Ferry.Server;

/// <summary>
/// A feature reachable over the framed protocol, registered in a <see cref="ServiceRegistry"/> for one or
/// more message types. Services never see sockets: they read the request and answer through its session.
/// </summary>
public interface IFerryService
{
    /// <summary>
    /// Handles one frame. The body must be consumed before the returned task completes (what is left is
    /// skipped); long work continues with <see cref="ServerSession.StartBackground"/>. Throwing a
    /// <see cref="Protocol.FerryException"/> answers the request with that error; the connection stays usable.
    /// </summary>
    ValueTask HandleAsync(ServerRequest request);
}

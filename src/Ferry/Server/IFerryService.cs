namespace Ferry.Server;

/// <summary>
/// A feature reachable over the framed protocol. A service declares its message types, the right each needs and
/// their handlers once, in <see cref="MapRoutes"/>; <see cref="FerryServerBuilder.AddService"/> adds it to a server.
/// Handlers get a <see cref="RequestContext"/> bound to their request's id: a service never sees the socket, the
/// connection or any other request's id.
/// </summary>
public interface IFerryService
{
    /// <summary>
    /// Declares this service's routes (called once, when the service is added to a server builder). A message type
    /// may be mapped by one service only.
    /// </summary>
    void MapRoutes(ServiceRoutes routes);
}

/// <summary>
/// Handles one frame of a request. The body (<see cref="RequestContext.Body"/>) must be read before the returned task
/// completes (what is left is skipped); long work continues with <see cref="RequestContext.StartBackground"/>. Throwing
/// a <see cref="Protocol.FerryException"/> fails the request with that error code and message; any other exception
/// is logged and answered <c>internal</c>. Either way the connection stays usable.
/// </summary>
public delegate ValueTask RequestHandler(RequestContext context);

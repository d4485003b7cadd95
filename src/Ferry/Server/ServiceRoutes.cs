using System.Text.Json.Serialization.Metadata;

namespace Ferry.Server;

/// <summary>
/// Where a service declares its routes (<see cref="IFerryService.MapRoutes"/>): for each message type, its handler and
/// the right a principal needs to send it.
/// </summary>
public sealed class ServiceRoutes
{
    private readonly ServiceRegistry _registry;

    internal ServiceRoutes(ServiceRegistry registry) => _registry = registry;

    /// <summary>
    /// Routes requests of <paramref name="type"/> to <paramref name="handler"/>. Each one opens an exchange on its id
    /// that stays open until the handler replies or fails, its background work ends, or
    /// <see cref="RequestContext.End"/>; until then a new request on that id is answered <c>duplicate_id</c>.
    /// </summary>
    /// <param name="type">The message type, e.g. <c>kv.get</c>; one service per type.</param>
    /// <param name="handler">Runs for each frame of that type.</param>
    /// <param name="right">The right the principal needs (<see cref="Security.Rights"/> or your own); null lets any
    /// authenticated peer in. Others are answered <c>forbidden</c>.</param>
    public ServiceRoutes Map(string type, RequestHandler handler, string? right = null)
    {
        _registry.Add(type, handler, right, continues: false, this);
        return this;
    }

    /// <summary>
    /// Routes requests of <paramref name="type"/> to <paramref name="handler"/> with their header fields read into a
    /// <typeparamref name="TRequest"/> first: a header whose fields do not fit is answered <c>bad_request</c> without
    /// calling the handler.
    /// </summary>
    /// <param name="type">The message type; one service per type.</param>
    /// <param name="typeInfo">The source-generated JSON metadata of <typeparamref name="TRequest"/>.</param>
    /// <param name="handler">Runs for each frame of that type, with its fields.</param>
    /// <param name="right">The right the principal needs; null lets any authenticated peer in.</param>
    public ServiceRoutes Map<TRequest>(string type, JsonTypeInfo<TRequest> typeInfo, Func<RequestContext, TRequest, ValueTask> handler,
        string? right = null)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        ArgumentNullException.ThrowIfNull(handler);
        // Built once here, not per frame.
        _registry.Add(type, context => handler(context, context.Read(typeInfo)), right, continues: false, this);
        return this;
    }

    /// <summary>
    /// Routes frames of <paramref name="type"/> that continue an exchange already open on their id (as
    /// <c>exec.stdin</c> continues <c>exec.start</c>): the handler's context is that exchange's, so replying or failing
    /// there ends it. A continuation frame whose id has no open exchange still reaches the handler, with a context of
    /// its own (<see cref="RequestContext.IsContinuation"/> is false there), to answer or drop.
    /// </summary>
    /// <param name="type">The message type; one service per type.</param>
    /// <param name="handler">Runs for each frame of that type.</param>
    /// <param name="right">The right the principal needs; null lets any authenticated peer in.</param>
    public ServiceRoutes MapContinuation(string type, RequestHandler handler, string? right = null)
    {
        _registry.Add(type, handler, right, continues: true, this);
        return this;
    }
}

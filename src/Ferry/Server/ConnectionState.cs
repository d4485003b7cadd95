namespace Ferry.Server;

/// <summary>
/// The key to one kind of per-connection state: a service keeps its key in a private field and reaches its state on
/// each connection with <see cref="RequestContext.GetState{T}"/>. Only code holding the key reaches the state, so two
/// services never share (or clash over) each other's. The state is created on first use on a connection and, if it
/// is <see cref="IAsyncDisposable"/> or <see cref="IDisposable"/>, disposed when that connection ends.
/// </summary>
/// <typeparam name="T">The state's type.</typeparam>
public sealed class ConnectionState<T> where T : class
{
    private readonly Func<RequestContext, T> _create;

    /// <summary>Makes a key whose state is created by <paramref name="create"/>.</summary>
    /// <param name="create">Makes a connection's state from the context of the first request that asks for it
    /// (its principal, connection id…); it must not keep that context for sending.</param>
    public ConnectionState(Func<RequestContext, T> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        _create = create;
    }

    internal T Create(RequestContext context) => _create(context);
}

namespace Ferry.Client;

/// <summary>Connecting to a server failed before any request could be sent.</summary>
public sealed class FerryConnectException : IOException
{
    /// <summary>A failure to connect to <paramref name="target"/>, with a message that says what to do.</summary>
    public FerryConnectException(FerryTarget target, string message, Exception? inner = null) : base(message, inner) => Target = target;

    /// <summary>The server the client tried to reach.</summary>
    public FerryTarget Target { get; }
}

namespace Ferry.Client;

/// <summary>Connecting to a server failed before any request could be sent.</summary>
public sealed class FerryConnectException : IOException
{
    public FerryConnectException(FerryTarget target, string message, Exception? inner = null) : base(message, inner) => Target = target;

    public FerryTarget Target { get; }
}

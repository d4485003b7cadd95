namespace Ferry.Connections;

/// <summary>The connection closed before the operation could finish.</summary>
public sealed class ConnectionClosedException : IOException
{
    public ConnectionClosedException(string message, CloseReason reason, Exception? inner = null) : base(message, inner)
        => Reason = reason;

    public CloseReason Reason { get; }
}

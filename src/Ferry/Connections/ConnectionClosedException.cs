namespace Ferry.Connections;

/// <summary>The connection closed before the operation could finish.</summary>
public sealed class ConnectionClosedException : IOException
{
    /// <summary>The connection closed for <paramref name="reason"/> while an operation needed it.</summary>
    public ConnectionClosedException(string message, CloseReason reason, Exception? inner = null) : base(message, inner)
        => Reason = reason;

    /// <summary>Why the connection closed.</summary>
    public CloseReason Reason { get; }
}

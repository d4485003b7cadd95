namespace Ferry.Protocol;

/// <summary>
/// A failure with a protocol error code. Thrown by services to answer a request with an
/// <c>error</c> frame (the connection stays usable), and by the client when the server answers one.
/// </summary>
public class FerryException : Exception
{
    /// <summary>A failure with its protocol error code and a one-line message.</summary>
    public FerryException(ProtocolError error, string message) : base(message) => Error = error;

    /// <summary>A failure with its protocol error code, a one-line message and the exception behind it.</summary>
    public FerryException(ProtocolError error, string message, Exception inner) : base(message, inner) => Error = error;

    /// <summary>The error code, as sent on the wire.</summary>
    public ProtocolError Error { get; }

    /// <summary>The wire form of <see cref="Error"/>, e.g. <c>bad_path</c>.</summary>
    public string Code => ProtocolErrorCodes.ToWire(Error);
}

namespace Ferry.Protocol;

/// <summary>
/// The byte stream itself is broken: framing cannot continue, so the connection closes
/// after a final error frame (if the transport still allows one).
/// </summary>
public sealed class ProtocolException : FerryException
{
    /// <summary>A framing or session violation; the connection is closed after the error frame.</summary>
    public ProtocolException(ProtocolError error, string message) : base(error, message)
    {
    }

    /// <summary>A header length of <paramref name="length"/> beyond <paramref name="limit"/> (or zero).</summary>
    public static ProtocolException BadHeaderLength(int length, int limit) =>
        new(ProtocolError.BadHeaderLength, length < 0
            ? $"header length {length} is negative"
            : $"header length {length} exceeds the {limit}-byte limit");

    /// <summary>The peer closed with <paramref name="missing"/> bytes of a frame still to come.</summary>
    public static ProtocolException Truncated(long missing) =>
        new(ProtocolError.TruncatedFrame, $"the stream ended {missing} byte(s) short of a complete frame");
}

namespace Ferry.Protocol;

/// <summary>
/// The byte stream itself is broken: framing cannot continue, so the connection closes
/// after a final error frame (if the transport still allows one).
/// </summary>
public sealed class ProtocolException : FerryException
{
    public ProtocolException(ProtocolError error, string message) : base(error, message)
    {
    }

    public static ProtocolException BadHeaderLength(int length, int limit) =>
        new(ProtocolError.BadHeaderLength, length < 0
            ? $"header length {length} is negative"
            : $"header length {length} exceeds the {limit}-byte limit");

    public static ProtocolException Truncated(long missing) =>
        new(ProtocolError.TruncatedFrame, $"the stream ended {missing} byte(s) short of a complete frame");
}

namespace Ferry.Cli.Demos.Sticky;

/// <summary>The live messages/s of the course's length handshake and of a length header, measured in the same run.</summary>
internal sealed record SlowFixMeasurement(
    int Messages, int MessageBytes, double HandshakeSeconds, double HeaderSeconds,
    double HandshakeMessagesPerSecond, double HeaderMessagesPerSecond)
{
    public double Speedup => HandshakeMessagesPerSecond > 0 ? HeaderMessagesPerSecond / HandshakeMessagesPerSecond : 0;
}

namespace Ferry.Datagrams;

/// <summary>
/// One request/reply exchange: T1 client transmit, T2 server receive, T3 server transmit, T4 client receive
/// (T1 and T4 on the client's clock, T2 and T3 on the server's), and what follows from them (RFC 5905 §8):
/// offset θ = ((T2−T1)+(T3−T4))/2, how far the server's clock is ahead of ours, and round-trip delay
/// δ = (T4−T1)−(T3−T2), the time on the wire without the server's own processing. Differences are taken on the
/// 64-bit wire values, so the arithmetic holds across the 2036 era boundary.
/// </summary>
public readonly record struct SntpSample(NtpTimestamp T1, NtpTimestamp T2, NtpTimestamp T3, NtpTimestamp T4)
{
    /// <summary>How far the server's clock is ahead of this one: ((T2−T1)+(T3−T4))/2.</summary>
    public NtpDuration Offset => NtpDuration.Average(T2 - T1, T3 - T4);

    /// <summary>The round trip without the server's own processing: (T4−T1)−(T3−T2).</summary>
    public NtpDuration Delay => (T4 - T1) - (T3 - T2);
}

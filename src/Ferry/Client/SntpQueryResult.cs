using System.Net;
using Ferry.Datagrams;

namespace Ferry.Client;

/// <summary>What an SNTP query measured: every sample, and the best one (least delay) with the reply it came from.</summary>
public sealed record SntpQueryResult(IPEndPoint Server, SntpPacket Reply, SntpSample Best, IReadOnlyList<SntpSample> Samples, int RequestsSent)
{
    /// <summary>How far the server's clock is ahead of ours (negative: behind).</summary>
    public NtpDuration Offset => Best.Offset;

    /// <summary>Round-trip time on the network, without the server's processing.</summary>
    public NtpDuration Delay => Best.Delay;

    /// <summary>The server's clock at the moment its best reply arrived here: our T4 plus the offset.</summary>
    public DateTime ServerTime => (Best.T4 + Best.Offset).ToDateTime(DateTime.UtcNow);
}

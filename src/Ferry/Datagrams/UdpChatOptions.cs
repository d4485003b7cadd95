using System.Net;

namespace Ferry.Datagrams;

/// <summary>Settings of the UDP chat relay (<c>ferry serve --udp-chat PORT</c>).</summary>
public sealed class UdpChatOptions
{
    /// <summary>Where the relay listens; null for off.</summary>
    public IPEndPoint? EndPoint { get; set; }

    /// <summary>The largest datagram sent or accepted. 1200 bytes fits any path's MTU without fragmentation.</summary>
    public int MaxDatagram { get; set; } = UdpChatPacket.DefaultMaxDatagram;

    /// <summary>How long a member stays registered after its last datagram (keep-alives come every 30 s).</summary>
    public TimeSpan MemberTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How far a datagram's timestamp may be from the receiver's clock before it counts as a replay.</summary>
    public TimeSpan ReplayWindow { get; set; } = TimeSpan.FromSeconds(60);
}

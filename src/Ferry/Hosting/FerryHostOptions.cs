using System.Net;
using Ferry.Server;

namespace Ferry.Hosting;

/// <summary>Everything <c>ferry serve</c> can switch on: the framed server plus the side listeners.</summary>
public sealed class FerryHostOptions
{
    /// <summary>The framed server's own settings.</summary>
    public FerryServerOptions Server { get; set; } = new();

    /// <summary>Raw TCP echo endpoint (<c>--tcp-echo</c>); null for off.</summary>
    public EndPoint? TcpEcho { get; set; }

    /// <summary>Raw UDP echo endpoint (<c>--udp-echo</c>); null for off.</summary>
    public IPEndPoint? UdpEcho { get; set; }

    /// <summary>The largest datagram the UDP echo answers; larger ones get an error reply.</summary>
    public int UdpEchoMaxDatagram { get; set; } = 65507;

    /// <summary>The file service (<c>--root</c>).</summary>
    public Services.Files.FilesOptions Files { get; set; } = new();
}

using System.Net;

namespace Ferry.Datagrams;

/// <summary>The SNTP server's settings (<c>ferry serve --ntp PORT --stratum N --ntp-rate N</c>).</summary>
public sealed class SntpServerOptions
{
    /// <summary>Where to listen; the standard port 123 needs privileges, so demos pick another.</summary>
    public IPEndPoint EndPoint { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>The stratum announced: 1 for a reference clock, 2 (default) for a server synchronized to one, up to 15.</summary>
    public int Stratum { get; set; } = 2;

    /// <summary>Requests per second allowed from one address (with a burst of as many); more get a RATE kiss-o'-death. 0 = no limit.</summary>
    public double RatePerSource { get; set; }

    /// <summary>The reference id announced: four ASCII characters naming the source ("LOCL", the local clock).</summary>
    public string ReferenceId { get; set; } = "LOCL";

    /// <summary>The server's clock (tests shift it; the system clock otherwise).</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (Stratum is < 1 or > 15) throw new ArgumentOutOfRangeException(nameof(Stratum), Stratum, "the stratum must be 1-15");
        if (RatePerSource < 0 || double.IsNaN(RatePerSource)) throw new ArgumentOutOfRangeException(nameof(RatePerSource), RatePerSource, "the rate must be 0 (off) or more");
        _ = SntpPacket.ReferenceIdFromText(ReferenceId);
    }
}

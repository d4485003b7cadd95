using System.CommandLine;
using System.Net;
using Ferry.Cli.Infrastructure;
using Ferry.Datagrams;
using Ferry.Hosting;

namespace Ferry.Cli.Commands.Serve;

/// <summary><c>--ntp</c>, <c>--stratum</c>, <c>--ntp-rate</c>: the SNTP server.</summary>
internal sealed class NtpServeOptions : IServeOptionGroup
{
    private readonly Option<string?> _ntp = new("--ntp")
    {
        Description = "Also answer NTP/SNTP clients on UDP PORT or HOST:PORT (the standard 123 needs root; 0 picks a free port)",
    };
    private readonly Option<int> _stratum = new("--stratum")
    {
        Description = "Stratum the NTP server announces: 1 with a reference clock attached, 2 for a machine synchronized to one (1-15)",
        DefaultValueFactory = _ => 2,
    };
    private readonly Option<double> _rate = new("--ntp-rate")
    {
        Description = "Requests per second one address may make (burst as many); more get a RATE kiss-o'-death. 0 = no limit",
        DefaultValueFactory = _ => 0,
    };

    public void AddTo(Command command)
    {
        command.Add(_ntp);
        command.Add(_stratum);
        command.Add(_rate);
    }

    public void Apply(ParseResult result, FerryHostOptions options)
    {
        int stratum = result.GetValue(_stratum);
        double rate = result.GetValue(_rate);
        if (stratum is < 1 or > 15) throw new CliUsageException("--stratum must be 1-15 (1: a reference clock is attached; 2: synchronized to a stratum-1 server)");
        if (rate < 0 || double.IsNaN(rate)) throw new CliUsageException("--ntp-rate must be 0 (no limit) or a number of requests per second");
        if (result.GetValue(_ntp) is not { } ntp) return;
        var defaultAddress = options.Server.Endpoints.OfType<IPEndPoint>().FirstOrDefault()?.Address ?? IPAddress.Loopback;
        options.Ntp = new SntpServerOptions
        {
            EndPoint = EndPointParser.Parse(ntp, defaultAddress, "--ntp"),
            Stratum = stratum,
            RatePerSource = rate,
        };
    }
}

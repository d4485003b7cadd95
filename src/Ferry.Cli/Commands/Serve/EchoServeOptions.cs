using System.CommandLine;
using System.Net;
using Ferry.Cli.Infrastructure;
using Ferry.Hosting;

namespace Ferry.Cli.Commands.Serve;

/// <summary><c>--tcp-echo</c>, <c>--udp-echo</c>, <c>--udp-max-datagram</c>.</summary>
internal sealed class EchoServeOptions : IServeOptionGroup
{
    private readonly Option<string?> _tcpEcho = new("--tcp-echo") { Description = "Also run a raw TCP echo on PORT or HOST:PORT (for nc)" };
    private readonly Option<string?> _udpEcho = new("--udp-echo") { Description = "Also run a raw UDP echo on PORT or HOST:PORT (for nc -u)" };
    private readonly Option<int> _udpMax = new("--udp-max-datagram")
    {
        Description = "Largest datagram the UDP echo answers; bigger ones get an error reply" + Sizes.Hint,
        CustomParser = Sizes.ParseInt32,
        DefaultValueFactory = _ => 65507,
    };

    public void AddTo(Command command)
    {
        command.Add(_tcpEcho);
        command.Add(_udpEcho);
        command.Add(_udpMax);
    }

    public void Apply(ParseResult result, FerryHostOptions options)
    {
        var defaultAddress = options.Server.Endpoints.OfType<IPEndPoint>().FirstOrDefault()?.Address ?? IPAddress.Loopback;
        if (result.GetValue(_tcpEcho) is { } tcp) options.TcpEcho = EndPointParser.Parse(tcp, defaultAddress, "--tcp-echo");
        if (result.GetValue(_udpEcho) is { } udp) options.UdpEcho = EndPointParser.Parse(udp, defaultAddress, "--udp-echo");
        options.UdpEchoMaxDatagram = result.GetValue(_udpMax);
        if (options.UdpEchoMaxDatagram is < 1 or > 65507) throw new CliUsageException("--udp-max-datagram must be 1-65507");
    }
}

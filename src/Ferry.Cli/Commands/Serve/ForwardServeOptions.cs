using System.CommandLine;
using Ferry.Cli.Infrastructure;
using Ferry.Hosting;
using Ferry.Services.Forward;

namespace Ferry.Cli.Commands.Serve;

/// <summary><c>--allow-forward</c>, <c>--forward-to</c>, <c>--forward-gateway</c> (docs/security.md §9).</summary>
internal sealed class ForwardServeOptions : IServeOptionGroup
{
    private readonly Option<bool> _allow = new("--allow-forward")
    {
        Description = "Let clients holding the 'forward' right tunnel TCP through this server (ferry forward -L/-R/-D; off by default)",
    };
    private readonly Option<string[]> _to = new("--forward-to")
    {
        Description = "Where -L and -D may connect, HOST[:PORT] (repeatable): a name, *.domain, an address, a CIDR block or '*'; " +
            "PORT a number, a range or '*'. Default: the server's loopback only (127.0.0.0/8, [::1])",
        AllowMultipleArgumentsPerToken = false,
    };
    private readonly Option<bool> _gateway = new("--forward-gateway")
    {
        Description = "Let -R listeners bind any address of this server, not only loopback (sshd's GatewayPorts yes)",
    };

    public void AddTo(Command command)
    {
        command.Add(_allow);
        command.Add(_to);
        command.Add(_gateway);
    }

    public void Apply(ParseResult result, FerryHostOptions options)
    {
        var forward = options.Forward;
        forward.Enabled = result.GetValue(_allow);
        forward.AllowAnyBindAddress = result.GetValue(_gateway);
        try
        {
            forward.Destinations = ForwardDestinations.Parse(result.GetValue(_to) ?? []);
        }
        catch (FormatException ex)
        {
            throw new CliUsageException(ex.Message);
        }
    }
}

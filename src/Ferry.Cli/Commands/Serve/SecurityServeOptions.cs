using System.CommandLine;
using System.Net;
using Ferry.Cli.Infrastructure;
using Ferry.Hosting;

namespace Ferry.Cli.Commands.Serve;

/// <summary><c>--insecure</c> and the pre-authentication caps.</summary>
internal sealed class SecurityServeOptions : IServeOptionGroup
{
    private readonly Option<bool> _insecure = new("--insecure")
    {
        Description = "Allow --plaintext on an address other than loopback (anyone on the path can read and change the traffic)",
    };
    private readonly Option<int> _maxPerAddress = new("--max-unauthenticated-per-address")
    {
        Description = "Connections from one address that may be mid-handshake at once",
        DefaultValueFactory = _ => 64,
    };
    private readonly Option<int> _maxTotal = new("--max-unauthenticated")
    {
        Description = "Connections that may be mid-handshake at once, in all",
        DefaultValueFactory = _ => 512,
    };

    public void AddTo(Command command)
    {
        command.Add(_insecure);
        command.Add(_maxPerAddress);
        command.Add(_maxTotal);
    }

    public void Apply(ParseResult result, FerryHostOptions options)
    {
        var server = options.Server;
        server.Insecure = result.GetValue(_insecure);
        server.Authentication.MaxUnauthenticatedPerAddress = result.GetValue(_maxPerAddress);
        server.Authentication.MaxUnauthenticated = result.GetValue(_maxTotal);
        if (server.Authentication.MaxUnauthenticatedPerAddress < 1 || server.Authentication.MaxUnauthenticated < 1)
        {
            throw new CliUsageException("--max-unauthenticated and --max-unauthenticated-per-address must be at least 1");
        }
        if (server.Plaintext && !server.Insecure && server.Endpoints.OfType<IPEndPoint>().FirstOrDefault(e => !IPAddress.IsLoopback(e.Address)) is { } exposed)
        {
            throw new CliUsageException($"--plaintext on {exposed} would let anyone on the network read and change the traffic; serve TLS (drop --plaintext) or add --insecure");
        }
    }
}

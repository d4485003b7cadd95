using System.CommandLine;
using System.Net;
using Ferry.Cli.Infrastructure;
using Ferry.Hosting;

namespace Ferry.Cli.Commands.Serve;

/// <summary><c>--insecure</c>, the pre-authentication caps and the caps on authenticated connections.</summary>
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

    private readonly Option<int> _maxConnections = new("--max-connections")
    {
        Description = "Authenticated connections at once, in all; a login beyond it is refused as busy",
        DefaultValueFactory = _ => 16_384,
    };
    private readonly Option<int> _maxPerUser = new("--max-connections-per-user")
    {
        Description = "Authenticated connections one user may hold at once (all shared-key clients are the user 'key')",
        DefaultValueFactory = _ => 10_240,
    };

    public void AddTo(Command command)
    {
        command.Add(_insecure);
        command.Add(_maxPerAddress);
        command.Add(_maxTotal);
        command.Add(_maxConnections);
        command.Add(_maxPerUser);
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
        server.MaxConnections = result.GetValue(_maxConnections);
        server.MaxConnectionsPerUser = result.GetValue(_maxPerUser);
        if (server.MaxConnections < 1 || server.MaxConnectionsPerUser < 1)
        {
            throw new CliUsageException("--max-connections and --max-connections-per-user must be at least 1");
        }
        if (server.Plaintext && !server.Insecure && server.Endpoints.OfType<IPEndPoint>().FirstOrDefault(e => !IPAddress.IsLoopback(e.Address)) is { } exposed)
        {
            throw new CliUsageException($"--plaintext on {exposed} would let anyone on the network read and change the traffic; serve TLS (drop --plaintext) or add --insecure");
        }
    }
}

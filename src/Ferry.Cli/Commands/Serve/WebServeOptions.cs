using System.CommandLine;
using System.Net;
using Ferry.Cli.Infrastructure;
using Ferry.Hosting;
using Ferry.Server;

namespace Ferry.Cli.Commands.Serve;

/// <summary><c>--web [http://][HOST:]PORT</c>: the browser page and its WebSocket binding.</summary>
internal sealed class WebServeOptions : IServeOptionGroup
{
    private readonly Option<string?> _web = new("--web")
    {
        Description = "Also serve the web page (chat, files, terminal in a browser) on [HOST:]PORT, over HTTPS with the server's certificate; " +
            "http://[HOST:]PORT for plain HTTP, on loopback only. HOST defaults to the first --listen address",
        HelpName = "[HOST:]PORT",
    };

    public void AddTo(Command command) => command.Add(_web);

    public void Apply(ParseResult result, FerryHostOptions options)
    {
        if (result.GetValue(_web) is not { } text) return;
        bool plain = false;
        if (text.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            plain = true;
            text = text["http://".Length..];
        }
        else if (text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            text = text["https://".Length..];
        }
        text = text.TrimEnd('/');
        var defaultAddress = options.Server.Endpoints.OfType<IPEndPoint>().FirstOrDefault()?.Address ?? IPAddress.Loopback;
        var endPoint = EndPointParser.Parse(text, defaultAddress, "--web");
        plain |= options.Server.Plaintext;
        if (plain && !IPAddress.IsLoopback(endPoint.Address))
        {
            throw new CliUsageException(options.Server.Plaintext
                ? $"--web {endPoint} with --plaintext would serve the page over plain HTTP to the network (and browsers keep WebCrypto from it there); drop --plaintext to serve HTTPS, or bind --web to 127.0.0.1"
                : $"--web http://{endPoint} would serve the page over plain HTTP to the network (and browsers keep WebCrypto from it there); drop http:// to serve HTTPS with the server's certificate, or bind it to 127.0.0.1");
        }
        options.Server.Web = new WebOptions { EndPoint = endPoint, PlainHttp = plain };
    }
}

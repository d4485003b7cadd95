using System.Net;

namespace Ferry.Server;

/// <summary>
/// The browser front end (<c>ferry serve --web</c>): one page and its assets, embedded in the library, and a WebSocket
/// at <see cref="WebSocketPath"/> that carries the same Ferry frames as the main port (docs/protocol.md, "WebSocket
/// binding"). Served over HTTPS with the server's own certificate; plain HTTP only on a loopback address.
/// </summary>
public sealed class WebOptions
{
    /// <summary>The path of the WebSocket endpoint.</summary>
    public const string WebSocketPath = "/ferry";

    /// <summary>Where the page is served; port 0 picks a free one (see <see cref="FerryServer.WebEndPoint"/>).</summary>
    public IPEndPoint EndPoint { get; set; } = new(IPAddress.Loopback, 7180);

    /// <summary>
    /// Serve plain HTTP instead of HTTPS. Refused unless <see cref="EndPoint"/> is a loopback address (browsers keep
    /// WebCrypto for <c>http://127.0.0.1</c> and <c>http://localhost</c> only). Always on when the server runs
    /// <see cref="FerryServerOptions.Plaintext"/>, since it then has no certificate.
    /// </summary>
    public bool PlainHttp { get; set; }
}

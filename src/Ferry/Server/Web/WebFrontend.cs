using System.Net;
using Ferry.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Ferry.Server.Web;

/// <summary>
/// The HTTP side of <c>ferry serve --web</c>: the embedded page and its assets with the security headers, and the
/// WebSocket endpoint whose upgrade is checked (Origin, pre-authentication caps) and then handed to the same session
/// code as a TCP connection (<see cref="FerryConnectionHandler.RunSessionAsync"/>).
/// </summary>
internal sealed class WebFrontend(WebAssets assets, Func<FerryConnectionHandler> sessions, PreAuthGate gate, bool https, ILogger logger,
    CancellationToken stopping)
{
    // Everything comes from this origin; no inline script or style, no framing, no plugins, no form posts anywhere.
    internal const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        var response = http.Response;
        SetSecurityHeaders(response);
        // Plain HTTP is only ever served on loopback; a Host that is not a loopback name there is a DNS-rebinding page
        // (evil.example resolving to 127.0.0.1), which would otherwise be "same origin" with itself.
        if (!https && !IsLoopbackHost(request.Host.Host))
        {
            WebLog.Refused(logger, RemoteAddress(http), LogTextOf(request.Host.Value), "Host is not a loopback name on a plain-HTTP server");
            await RefuseAsync(response, StatusCodes.Status421MisdirectedRequest, "this server answers only to a loopback Host (localhost, 127.0.0.1, [::1])").ConfigureAwait(false);
            return;
        }
        if (request.Path.Equals(WebOptions.WebSocketPath, StringComparison.Ordinal))
        {
            await AcceptWebSocketAsync(http).ConfigureAwait(false);
            return;
        }
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            response.Headers.Allow = "GET, HEAD";
            await RefuseAsync(response, StatusCodes.Status405MethodNotAllowed, "only GET and HEAD").ConfigureAwait(false);
            return;
        }
        var asset = assets.Find(request.Path.Value ?? "/");
        if (asset is null)
        {
            await RefuseAsync(response, StatusCodes.Status404NotFound, "not found").ConfigureAwait(false);
            return;
        }
        await ServeAsync(http, asset).ConfigureAwait(false);
    }

    private void SetSecurityHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY"; // for browsers that predate frame-ancestors
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";
        // Browsers ignore HSTS sent over a connection with certificate errors (RFC 6797 §8.1), so a self-signed
        // certificate the user has not accepted never gets pinned by it.
        if (https) headers.StrictTransportSecurity = "max-age=31536000";
    }

    private static async Task ServeAsync(HttpContext http, WebAsset asset)
    {
        var request = http.Request;
        var response = http.Response;
        response.Headers.ContentType = asset.ContentType;
        response.Headers.ETag = asset.ETag;
        // Always revalidate (the ETag makes that a 304): a new server version is seen at the next load.
        response.Headers.CacheControl = "no-cache";
        response.Headers.Vary = "Accept-Encoding";
        if (request.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        var accepts = request.Headers.AcceptEncoding.ToString();
        var body = asset.Content;
        if (Accepts(accepts, "br") && asset.Brotli is { } brotli)
        {
            body = brotli;
            response.Headers.ContentEncoding = "br";
        }
        else if (Accepts(accepts, "gzip") && asset.Gzip is { } gzip)
        {
            body = gzip;
            response.Headers.ContentEncoding = "gzip";
        }
        response.ContentLength = body.Length;
        if (HttpMethods.IsHead(request.Method)) return;
        await response.Body.WriteAsync(body, http.RequestAborted).ConfigureAwait(false);
    }

    private static bool Accepts(string acceptEncoding, string coding)
    {
        foreach (var part in acceptEncoding.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var name = part.Split(';')[0].Trim();
            if (string.Equals(name, coding, StringComparison.OrdinalIgnoreCase)) return !part.Replace(" ", "", StringComparison.Ordinal).EndsWith(";q=0", StringComparison.Ordinal);
        }
        return false;
    }

    private async Task AcceptWebSocketAsync(HttpContext http)
    {
        var response = http.Response;
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await RefuseAsync(response, StatusCodes.Status400BadRequest, "this address takes WebSocket upgrades only (the Ferry WebSocket binding)").ConfigureAwait(false);
            return;
        }
        var remote = RemoteAddress(http);
        // A browser always sends Origin on a WebSocket upgrade; only the page's own origin may drive the server, so a page
        // on another site cannot. A request without Origin is not from a browser page (a browser cannot omit it), and a
        // program can reach the main port anyway; it still has to log in. "null" (sandboxed frames, file:) is foreign.
        var origin = http.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && !IsOwnOrigin(http.Request, origin))
        {
            WebLog.ForeignOrigin(logger, remote, LogTextOf(origin), LogTextOf(http.Request.Scheme + "://" + http.Request.Host.Value));
            await RefuseAsync(response, StatusCodes.Status403Forbidden, "the WebSocket's Origin is not this server's own").ConfigureAwait(false);
            return;
        }
        // The same pre-authentication caps as the main port, taken before the upgrade.
        using var slot = gate.TryEnter(remote);
        if (slot is null)
        {
            WebLog.Refused(logger, remote, "", $"too many unauthenticated connections (caps: {gate.MaxPerAddress} per address, {gate.MaxTotal} in all)");
            await RefuseAsync(response, StatusCodes.Status503ServiceUnavailable, "busy: too many connections still logging in; try again later").ConfigureAwait(false);
            return;
        }
        {
            using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = false }).ConfigureAwait(false);
            using var pipe = new WebSocketPipe(socket);
            var pumps = pipe.RunAsync();
            var remoteEndPoint = http.Connection.RemoteIpAddress is { } address ? new IPEndPoint(address, http.Connection.RemotePort) : null;
            // The Ferry stream inside the WebSocket is not itself TLS (HTTPS is under the WebSocket), and a page cannot
            // see the certificate it came over, so proofs carry no channel binding (docs/security.md, "The browser").
            await sessions().RunSessionAsync(pipe, pipe.Abort, "ws-" + http.Connection.Id, remoteEndPoint, isTls: false, slot, stopping).ConfigureAwait(false);
            // The session completed its output: the pumps send the close and wait for the peer's, for a moment only.
            var grace = sessions().Environment.Options.CloseGrace;
            if (await Task.WhenAny(pumps, Task.Delay(grace, sessions().Environment.Options.Time)).ConfigureAwait(false) != pumps) pipe.Abort();
            await pumps.ConfigureAwait(false);
            if (pipe.BindingViolation is { } violation) WebLog.BindingViolation(logger, remote, violation);
        }
    }

    private static async Task RefuseAsync(HttpResponse response, int status, string message)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync("ferry: " + message + "\n").ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="origin"/> is scheme://host:port of this very request (default ports compared as such).</summary>
    internal static bool IsOwnOrigin(HttpRequest request, string origin)
    {
        // An Origin is scheme://host[:port] exactly (RFC 6454): no path, not even "/".
        if (origin.EndsWith('/') || !Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.UserInfo.Length > 0) return false;
        if (!string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var host = request.Host;
        if (!host.HasValue) return false;
        int port = host.Port ?? (request.IsHttps ? 443 : 80);
        return string.Equals(uri.Host, host.Host, StringComparison.OrdinalIgnoreCase) && uri.Port == port;
    }

    internal static bool IsLoopbackHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)) return true;
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return IPAddress.TryParse(bare, out var address) && IPAddress.IsLoopback(address);
    }

    private static string RemoteAddress(HttpContext http) =>
        Authentication.ServerSecurity.AddressKey(http.Connection.RemoteIpAddress is { } a ? new IPEndPoint(a, http.Connection.RemotePort) : null);

    private static string LogTextOf(string? value) => Protocol.LogText.Escape(value ?? "", 200);
}

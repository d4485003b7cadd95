using System.Net;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Ferry.Client;
using Ferry.Security.Scram;
using Ferry.Security.SharedKey;
using Ferry.Server;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Server.Web;

/// <summary>
/// <c>ferry serve --web</c> over real sockets: the embedded page with its security headers, and the WebSocket binding
/// (docs/protocol.md) driven by <see cref="ClientWebSocket"/> as a browser would, Origin included — logins, requests,
/// the Origin check and hostile peers that must get an error while the server keeps serving TCP clients.
/// </summary>
public sealed class WebSocketBindingTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static Task<TestServer> StartAsync(bool plain = false, Action<FerryServerOptions>? configure = null) => TestServer.StartAsync(o =>
    {
        o.Server.Web = new WebOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), PlainHttp = plain };
        configure?.Invoke(o.Server);
    });

    private static Uri SocketUri(TestServer server) =>
        new(server.Server.WebUrl!.ToString().Replace("http", "ws", StringComparison.Ordinal).TrimEnd('/') + WebOptions.WebSocketPath);

    private static string OwnOrigin(TestServer server) => server.Server.WebUrl!.ToString().TrimEnd('/');

    private static async Task<ClientWebSocket> OpenAsync(TestServer server, string? origin = "own")
    {
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.CollectHttpResponseDetails = true;
            socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) => IsServers(server, certificate);
            if (origin is not null) socket.Options.SetRequestHeader("Origin", origin == "own" ? OwnOrigin(server) : origin);
            using var timeout = new CancellationTokenSource(Deadline);
            await socket.ConnectAsync(SocketUri(server), timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static bool IsServers(TestServer server, System.Security.Cryptography.X509Certificates.X509Certificate? certificate) =>
        certificate is not null && "SHA256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(certificate.GetRawCertData())) == server.Server.CertificateFingerprint;

    private static HttpClient Http(TestServer server) => new(new HttpClientHandler
    {
        ServerCertificateCustomValidationCallback = (_, certificate, _, _) => IsServers(server, certificate),
        AutomaticDecompression = DecompressionMethods.None,
    })
    { BaseAddress = server.Server.WebUrl, Timeout = Deadline };

    /// <summary>Sends frames as binary messages, split at odd places: the binding is a byte stream.</summary>
    private static async Task SendAsync(WebSocket socket, byte[] bytes, int slice = int.MaxValue)
    {
        for (int offset = 0; offset < bytes.Length; offset += slice)
        {
            var part = bytes.AsMemory(offset, Math.Min(slice, bytes.Length - offset));
            await socket.SendAsync(part, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        }
    }

    private static async Task<JsonElement> ExpectAsync(Stream stream, string type)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        var frame = await RawFrames.ReadFrameAsync(stream, timeout.Token) ?? throw new EndOfStreamException($"closed before '{type}'");
        using var doc = JsonDocument.Parse(frame.Header);
        var root = doc.RootElement.Clone();
        Assert.True(root.GetProperty("type").GetString() == type, $"expected '{type}', got {frame.Header}");
        return root;
    }

    private static async Task<(JsonElement Header, byte[] Body)> ReadAsync(Stream stream)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        var frame = await RawFrames.ReadFrameAsync(stream, timeout.Token) ?? throw new EndOfStreamException("closed");
        using var doc = JsonDocument.Parse(frame.Header);
        return (doc.RootElement.Clone(), frame.Body);
    }

    /// <summary>hello and the shared-key login by hand over the WebSocket: no channel binding (the page cannot see the certificate).</summary>
    private static async Task<Stream> LoginWithKeyAsync(TestServer server, WebSocket socket)
    {
        var stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
        await SendAsync(socket, RawFrames.Hello, slice: 3);
        var hello = await ExpectAsync(stream, "hello");
        Assert.False(hello.GetProperty("tls").GetBoolean());
        await SendAsync(socket, RawFrames.Frame("""{"type":"auth.key.start","id":2}"""));
        var challenge = await ExpectAsync(stream, "auth.key.challenge");
        var serverNonce = Convert.FromBase64String(challenge.GetProperty("nonce").GetString()!);
        var clientNonce = System.Security.Cryptography.RandomNumberGenerator.GetBytes(KeyProof.NonceBytes);
        var key = SharedKeyFile.Load(server.KeyFile);
        var proof = KeyProof.Client(key, serverNonce, clientNonce, []);
        await SendAsync(socket, RawFrames.Frame(
            $$"""{"type":"auth.key.proof","id":3,"nonce":"{{Convert.ToBase64String(clientNonce)}}","proof":"{{Convert.ToBase64String(proof)}}"}"""));
        var ok = await ExpectAsync(stream, "auth.ok");
        Assert.True(KeyProof.Matches(KeyProof.Server(key, serverNonce, clientNonce, []), Convert.FromBase64String(ok.GetProperty("proof").GetString()!)));
        return stream;
    }

    private static async Task AssertTcpStillServesAsync(TestServer server)
    {
        var client = await server.ConnectAsync();
        Assert.Equal("STILL", Encoding.UTF8.GetString(await client.EchoAsync("still"u8.ToArray(), upper: true)));
    }

    [Fact]
    public async Task A_key_login_and_an_echo_run_over_the_websocket_in_odd_slices()
    {
        await using var server = await StartAsync();
        Assert.StartsWith("https://127.0.0.1:", server.Server.WebUrl!.ToString());
        using var socket = await OpenAsync(server);
        var stream = await LoginWithKeyAsync(server, socket);
        var body = new byte[300_000];
        Random.Shared.NextBytes(body);
        await SendAsync(socket, RawFrames.Frame($$"""{"type":"echo","id":4,"size":{{body.Length}}}""", body), slice: 65_537);
        var (header, echoed) = await ReadAsync(stream);
        Assert.Equal("echo", header.GetProperty("type").GetString());
        Assert.Equal(body, echoed);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        Assert.Equal(WebSocketState.Closed, socket.State);
    }

    /// <summary>hello and a SCRAM login by hand over the WebSocket, gs2 header <c>n,,</c>; returns the stream and the last answer.</summary>
    private static async Task<(Stream Stream, ScramClient Scram, JsonElement Answer)> LoginWithScramAsync(WebSocket socket, string user, string password)
    {
        var stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
        await SendAsync(socket, RawFrames.Hello);
        await ExpectAsync(stream, "hello");
        var scram = new ScramClient(user, password, ScramChannelBinding.None);
        await SendAsync(socket, RawFrames.Frame($$"""{"type":"auth.scram.start","id":2,"message":"{{scram.ClientFirst()}}"}"""));
        var challenge = await ExpectAsync(stream, "auth.scram.challenge");
        var final = scram.ClientFinal(challenge.GetProperty("message").GetString()!);
        await SendAsync(socket, RawFrames.Frame($$"""{"type":"auth.scram.final","id":3,"message":"{{final}}"}"""));
        var (answer, _) = await ReadAsync(stream);
        return (stream, scram, answer);
    }

    [Fact]
    public async Task A_scram_user_logs_in_over_the_websocket_and_chats_with_a_tcp_client()
    {
        await using var server = await StartAsync();
        server.AddUser("ann", "correct horse", "chat");
        using var socket = await OpenAsync(server);
        var (stream, scram, ok) = await LoginWithScramAsync(socket, "ann", "correct horse");
        Assert.Equal("auth.ok", ok.GetProperty("type").GetString());
        scram.VerifyServerFinal(ok.GetProperty("message").GetString()!);
        Assert.Equal("ann", ok.GetProperty("user").GetString());

        await SendAsync(socket, RawFrames.Frame("""{"type":"chat.join","id":4,"room":"deck","nick":"ann"}"""));
        Assert.Equal("deck", (await ExpectAsync(stream, "ok")).GetProperty("room").GetString());
        Assert.Equal("join", (await ExpectAsync(stream, "chat.event")).GetProperty("kind").GetString());

        var tcp = await server.ConnectAsync();
        await using var bob = await tcp.JoinChatAsync("deck", "bob");
        var (joined, _) = await ReadAsync(stream);
        Assert.Equal("bob", joined.GetProperty("from").GetString());
        await bob.SayAsync("ahoy from tcp");
        var (said, text) = await ReadAsync(stream);
        Assert.Equal("message", said.GetProperty("kind").GetString());
        Assert.Equal("ahoy from tcp", Encoding.UTF8.GetString(text));
    }

    [Fact]
    public async Task A_wrong_password_over_the_websocket_is_refused_like_on_tcp()
    {
        await using var server = await StartAsync();
        server.AddUser("ann", "correct horse", "chat");
        using var socket = await OpenAsync(server);
        var (_, _, error) = await LoginWithScramAsync(socket, "ann", "wrong");
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("auth_failed", error.GetProperty("code").GetString());
        await AssertTcpStillServesAsync(server);
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("null")]
    [InlineData("http://127.0.0.1:1")]
    public async Task A_foreign_origin_gets_403_and_is_logged(string origin)
    {
        await using var server = await StartAsync();
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) => IsServers(server, certificate);
        socket.Options.SetRequestHeader("Origin", origin);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(SocketUri(server), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
        await AssertTcpStillServesAsync(server);
    }

    [Fact]
    public async Task An_upgrade_without_origin_is_not_a_browser_page_and_must_still_log_in()
    {
        await using var server = await StartAsync();
        using var socket = await OpenAsync(server, origin: null);
        var stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
        await SendAsync(socket, RawFrames.Hello);
        await ExpectAsync(stream, "hello");
        await SendAsync(socket, RawFrames.Frame("""{"type":"echo","id":2}"""));
        Assert.Equal("unauthenticated", (await ExpectAsync(stream, "error")).GetProperty("code").GetString());
    }

    [Fact]
    public async Task The_page_comes_with_strict_headers_compressed_and_typed()
    {
        await using var server = await StartAsync();
        using var http = Http(server);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip, br");
        using var page = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var csp = string.Join(",", page.Headers.GetValues("Content-Security-Policy"));
        foreach (var directive in new[] { "default-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "script-src 'self'", "style-src 'self'" })
        {
            Assert.Contains(directive, csp);
        }
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.StartsWith("max-age=", page.Headers.GetValues("Strict-Transport-Security").Single());
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Equal("br", page.Content.Headers.ContentEncoding.Single());
        var html = await ReadBrotliAsync(page);
        Assert.Contains("<script type=\"module\" src=\"/js/app.js\"></script>", html);
        // No inline script or style, and nothing from another host.
        Assert.DoesNotMatch("<script(?![^>]*\\bsrc=)", html);
        Assert.DoesNotContain("<style", html);
        Assert.DoesNotContain("style=", html);
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);

        using var script = await http.GetAsync("/js/app.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Equal("utf-8", script.Content.Headers.ContentType.CharSet);
        using var again = new HttpRequestMessage(HttpMethod.Get, "/js/app.js");
        again.Headers.TryAddWithoutValidation("If-None-Match", script.Headers.ETag!.Tag);
        using var notModified = await http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        using var missing = await http.GetAsync("/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("nosniff", missing.Headers.GetValues("X-Content-Type-Options").Single());
        using var post = await http.PostAsync("/", new StringContent("x"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        using var plainGet = await http.GetAsync(WebOptions.WebSocketPath);
        Assert.Equal(HttpStatusCode.BadRequest, plainGet.StatusCode);
    }

    private static async Task<string> ReadBrotliAsync(HttpResponseMessage response)
    {
        await using var body = await response.Content.ReadAsStreamAsync();
        await using var brotli = new System.IO.Compression.BrotliStream(body, System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(brotli, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task A_text_message_breaks_the_binding_and_closes_with_1003()
    {
        await using var server = await StartAsync();
        using var socket = await OpenAsync(server);
        await socket.SendAsync("""{"type":"hello","id":1,"version":1}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        using var timeout = new CancellationTokenSource(Deadline);
        var buffer = new byte[1024];
        WebSocketReceiveResult result;
        do result = await socket.ReceiveAsync(buffer, timeout.Token);
        while (result.MessageType != WebSocketMessageType.Close);
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, socket.CloseStatus);
        Assert.Contains("binary", socket.CloseStatusDescription);
        await AssertTcpStillServesAsync(server);
    }

    [Theory]
    [InlineData("oversize header")]
    [InlineData("garbage")]
    [InlineData("body before login")]
    [InlineData("huge message")]
    public async Task A_hostile_peer_gets_a_final_error_and_the_server_keeps_serving(string hostility)
    {
        await using var server = await StartAsync();
        using var socket = await OpenAsync(server);
        var stream = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
        string expected;
        switch (hostility)
        {
            case "oversize header":
                await SendAsync(socket, [0x00, 0x00, 0x10, 0x00]); // 1 MiB header announced
                expected = "bad_header_length";
                break;
            case "garbage":
                await SendAsync(socket, [0x05, 0x00, 0x00, 0x00, .. "}{]\x01!"u8]);
                expected = "invalid_json";
                break;
            case "body before login":
                await SendAsync(socket, RawFrames.Hello);
                await ExpectAsync(stream, "hello");
                await SendAsync(socket, RawFrames.Frame("""{"type":"echo","id":2,"size":3}""", "abc"u8));
                expected = "unauthenticated";
                break;
            default:
                // One 8 MiB message whose first frame is a hello and whose rest is noise: streamed, not held whole.
                var huge = new byte[8 * 1024 * 1024];
                Random.Shared.NextBytes(huge);
                RawFrames.Frame("""{"type":"hello","id":1,"version":1,"pad":"}""").CopyTo(huge, 0);
                _ = SendAsync(socket, huge);
                expected = "invalid_json";
                break;
        }
        var error = await ExpectAsync(stream, "error");
        Assert.Equal(expected, error.GetProperty("code").GetString());
        Assert.False(error.TryGetProperty("id", out var id) && id.GetInt64() != 0);
        await AssertTcpStillServesAsync(server);
    }

    [Fact]
    public async Task The_websocket_shares_the_pre_authentication_caps_of_the_main_port()
    {
        await using var server = await StartAsync(configure: o => o.Authentication.MaxUnauthenticatedPerAddress = 1);
        using var first = await OpenAsync(server);
        using var second = new ClientWebSocket();
        second.Options.CollectHttpResponseDetails = true;
        second.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) => IsServers(server, certificate);
        await Assert.ThrowsAsync<WebSocketException>(() => second.ConnectAsync(SocketUri(server), CancellationToken.None));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.HttpStatusCode);
        await LoginWithKeyAsync(server, first);
        await AssertTcpStillServesAsync(server);
    }

    [Fact]
    public async Task Plain_http_is_served_on_loopback_only_and_to_loopback_host_names_only()
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => TestServer.StartAsync(o =>
            o.Server.Web = new WebOptions { EndPoint = new IPEndPoint(IPAddress.Any, 0), PlainHttp = true }));
        Assert.Contains("not a loopback address", refused.Message);

        await using var server = await StartAsync(plain: true);
        Assert.StartsWith("http://127.0.0.1:", server.Server.WebUrl!.ToString());
        using var http = Http(server);
        using var page = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.False(page.Headers.Contains("Strict-Transport-Security"));
        // A DNS-rebinding page: evil.example resolving to 127.0.0.1 would be "same origin" with itself.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/");
        rebound.Headers.Host = "evil.example:" + server.Server.WebEndPoint!.Port;
        using var answer = await http.SendAsync(rebound);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, answer.StatusCode);
        using var socket = await OpenAsync(server);
        await LoginWithKeyAsync(server, socket);
    }

    [Theory]
    [InlineData("https://127.0.0.1:7180", "https", "127.0.0.1:7180", true)]
    [InlineData("https://127.0.0.1:7180/", "https", "127.0.0.1:7180", false)]
    [InlineData("https://127.0.0.1", "https", "127.0.0.1:443", true)]
    [InlineData("https://127.0.0.1", "https", "127.0.0.1", true)]
    [InlineData("http://127.0.0.1:7180", "https", "127.0.0.1:7180", false)]
    [InlineData("https://LOCALHOST:7180", "https", "localhost:7180", true)]
    [InlineData("https://[::1]:7180", "https", "[::1]:7180", true)]
    [InlineData("https://127.0.0.1:7181", "https", "127.0.0.1:7180", false)]
    [InlineData("https://user@127.0.0.1:7180", "https", "127.0.0.1:7180", false)]
    [InlineData("null", "https", "127.0.0.1:7180", false)]
    public void The_origin_check_compares_scheme_host_and_port(string origin, string scheme, string host, bool own)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Scheme = scheme;
        context.Request.Host = new Microsoft.AspNetCore.Http.HostString(host);
        Assert.Equal(own, global::Ferry.Server.Web.WebFrontend.IsOwnOrigin(context.Request, origin));
    }
}

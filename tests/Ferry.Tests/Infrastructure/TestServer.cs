using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Ferry.Client;
using Ferry.Hosting;
using Ferry.Security;
using Ferry.Security.Accounts;
using Ferry.Security.SharedKey;
using Ferry.Security.Tls;
using Ferry.Server;

namespace Ferry.Tests.Infrastructure;

/// <summary>
/// A real Ferry server on 127.0.0.1 port 0 with a throwaway state folder, and clients connected to it
/// through real sockets. Every test gets its own, so tests run in parallel without fixed ports.
/// Like a real server it runs TLS 1.3 and requires authentication; <see cref="ClientOptions"/> and
/// <see cref="ClientArgs"/> give a client that trusts this server's certificate and holds its key.
/// Opt into plaintext with <see cref="StartPlaintextAsync"/> (or <c>o => o.Server.Plaintext = true</c>).
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly List<FerryClient> _clients = [];

    private TestServer(FerryServer server, FerryHostOptions options, string dataDirectory)
    {
        Server = server;
        Options = options;
        DataDirectory = dataDirectory;
    }

    public FerryServer Server { get; }

    public FerryHostOptions Options { get; }

    public string DataDirectory { get; }

    public IPEndPoint EndPoint => Server.TcpEndPoint!;

    public FerryTarget Target => new("127.0.0.1", EndPoint.Port);

    /// <summary>The server's shared key file (full rights).</summary>
    public string KeyFile => Path.Combine(DataDirectory, StateFolder.KeyFileName);

    /// <summary>A client state folder of this test's own (known_hosts), so tests never touch ~/.ferry.</summary>
    public string ClientStateDirectory => Path.Combine(DataDirectory, "client-state");

    /// <summary>
    /// Connection options for the CLI: the key file (whose folder holds this server's certificate, so the
    /// certificate is trusted on loopback) and <c>--plaintext</c> when the server runs without TLS.
    /// </summary>
    public string[] ClientArgs => Options.Server.Plaintext ? ["--key-file", KeyFile, "--plaintext"] : ["--key-file", KeyFile];

    /// <summary>Starts a server; <paramref name="configure"/> adjusts the options before the build.</summary>
    public static async Task<TestServer> StartAsync(Action<FerryHostOptions>? configure = null, Action<FerryServerBuilder>? build = null)
    {
        var dataDirectory = TempDirectory.Create("ferry-server");
        var options = new FerryHostOptions();
        options.Server.DataDirectory = dataDirectory;
        options.Server.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        options.Server.ShutdownTimeout = TimeSpan.FromSeconds(5);
        // Tests provoke failed logins on purpose; keep the slow-down real but short.
        options.Server.Authentication.FailureDelay = TimeSpan.FromMilliseconds(20);
        options.Server.Authentication.MaxFailureDelay = TimeSpan.FromMilliseconds(500);
        configure?.Invoke(options);
        var builder = FerryHost.CreateBuilder(options);
        build?.Invoke(builder);
        var server = builder.Build();
        await server.StartAsync();
        return new TestServer(server, options, dataDirectory);
    }

    /// <summary>Starts a server without TLS (authentication stays on).</summary>
    public static Task<TestServer> StartPlaintextAsync(Action<FerryHostOptions>? configure = null, Action<FerryServerBuilder>? build = null) =>
        StartAsync(o =>
        {
            o.Server.Plaintext = true;
            configure?.Invoke(o);
        }, build);

    /// <summary>Client options that fit this server: TLS pinned to its certificate, and its shared key.</summary>
    public FerryClientOptions ClientOptions() => new(Target)
    {
        Plaintext = Options.Server.Plaintext,
        KeyFile = KeyFile,
        ServerFingerprint = Server.CertificateFingerprint,
        StateDirectory = ClientStateDirectory,
    };

    /// <summary>Client options that log in as <paramref name="user"/> with SCRAM instead of the key.</summary>
    public FerryClientOptions UserOptions(string user, string password)
    {
        var options = ClientOptions();
        options.KeyFile = null;
        options.User = user;
        options.Password = password;
        return options;
    }

    /// <summary>Creates a user account on this server (few iterations, to keep tests quick).</summary>
    public void AddUser(string name, string password, params string[] rights) =>
        new UserStore(Path.Combine(DataDirectory, StateFolder.UsersFileName)).Add(name, password, rights, iterations: 4096);

    /// <summary>
    /// A raw byte stream to the main port, for hand-made frames (<see cref="RawFrames"/>): inside TLS with this
    /// server's certificate pinned, or the bare socket when the server runs plaintext. No hello, no authentication.
    /// </summary>
    public async Task<Stream> OpenRawStreamAsync(Action<System.Net.Sockets.Socket>? configureSocket = null, CancellationToken cancellationToken = default)
    {
        var socket = await RawFrames.ConnectAsync(EndPoint.Port);
        configureSocket?.Invoke(socket);
        var stream = new NetworkStream(socket, ownsSocket: true);
        if (Options.Server.Plaintext) return stream;
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        var expected = Server.CertificateFingerprint!;
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = SslProtocols.Tls13,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && CertificateFingerprint.Of(new X509Certificate2(certificate)) == expected,
        }, cancellationToken);
        return tls;
    }

    /// <summary>
    /// A raw stream that has done hello and the shared-key handshake by hand (proving the server too), ready for
    /// hand-made request frames. The handshake used ids 1-3.
    /// </summary>
    public async Task<Stream> OpenAuthenticatedRawStreamAsync(Action<System.Net.Sockets.Socket>? configureSocket = null, CancellationToken cancellationToken = default)
    {
        var stream = await OpenRawStreamAsync(configureSocket, cancellationToken);
        await stream.WriteAsync(RawFrames.Hello, cancellationToken);
        await ExpectAsync(stream, "hello", cancellationToken);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"auth.key.start","id":2}"""), cancellationToken);
        var challenge = await ExpectAsync(stream, "auth.key.challenge", cancellationToken);
        var serverNonce = Convert.FromBase64String(challenge.GetProperty("nonce").GetString()!);
        var clientNonce = System.Security.Cryptography.RandomNumberGenerator.GetBytes(KeyProof.NonceBytes);
        var key = SharedKeyFile.Load(KeyFile);
        byte[] binding = Options.Server.Plaintext ? [] : Convert.FromHexString(Server.CertificateFingerprint!["SHA256:".Length..]);
        var proof = KeyProof.Client(key, serverNonce, clientNonce, binding);
        await stream.WriteAsync(RawFrames.Frame(
            $$"""{"type":"auth.key.proof","id":3,"nonce":"{{Convert.ToBase64String(clientNonce)}}","proof":"{{Convert.ToBase64String(proof)}}"}"""), cancellationToken);
        var ok = await ExpectAsync(stream, "auth.ok", cancellationToken);
        var serverProof = Convert.FromBase64String(ok.GetProperty("proof").GetString()!);
        if (!KeyProof.Matches(KeyProof.Server(key, serverNonce, clientNonce, binding), serverProof)) throw new InvalidOperationException("the server's key proof is wrong");
        return stream;
    }

    private static async Task<System.Text.Json.JsonElement> ExpectAsync(Stream stream, string type, CancellationToken cancellationToken)
    {
        var frame = await RawFrames.ReadFrameAsync(stream, cancellationToken) ?? throw new EndOfStreamException($"the server closed before '{type}'");
        using var doc = System.Text.Json.JsonDocument.Parse(frame.Header);
        var root = doc.RootElement.Clone();
        if (root.GetProperty("type").GetString() != type) throw new InvalidOperationException($"expected '{type}', got {frame.Header}");
        return root;
    }

    /// <summary>Connects a client that is disposed with the server.</summary>
    public async Task<FerryClient> ConnectAsync(Action<FerryClientOptions>? configure = null)
    {
        var options = ClientOptions();
        configure?.Invoke(options);
        var client = await FerryClient.ConnectAsync(options);
        lock (_clients) _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        FerryClient[] clients;
        lock (_clients) clients = [.. _clients];
        foreach (var client in clients) await client.DisposeAsync();
        await Server.StopAsync();
        await Server.DisposeAsync();
        TempDirectory.TryDelete(DataDirectory);
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using Ferry.Client;
using Ferry.Security;
using Ferry.Security.Tls;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Security;

/// <summary>Trust on first use, ssh-style, against real TLS servers.</summary>
public class HostTrustTests
{
    private static FerryClientOptions Unpinned(TestServer server, string state)
    {
        var options = server.ClientOptions();
        options.ServerFingerprint = null;
        options.StateDirectory = state;
        // The key, but not the server's certificate, in the client's folder: loopback, yet not "this folder's own server".
        var key = Path.Combine(state, StateFolder.KeyFileName);
        if (!File.Exists(key)) File.Copy(server.KeyFile, key);
        options.KeyFile = key;
        options.Target = new FerryTarget("localhost", server.EndPoint.Port);
        return options;
    }

    [Fact]
    public async Task NewHostIsRefusedWithoutConsentThenRememberedWithAcceptNew()
    {
        await using var server = await TestServer.StartAsync();
        using var state = new ScratchFolder();
        var refused = await Assert.ThrowsAsync<FerryConnectException>(() => FerryClient.ConnectAsync(Unpinned(server, state.Path)));
        Assert.Contains("is not a known host", refused.Message);
        Assert.Contains(server.Server.CertificateFingerprint!, refused.Message);
        Assert.Contains("--accept-new", refused.Message);

        var asked = new List<string>();
        var declined = Unpinned(server, state.Path);
        declined.ConfirmNewHost = (host, fingerprint) =>
        {
            asked.Add($"{host} {fingerprint}");
            return false;
        };
        await Assert.ThrowsAsync<FerryConnectException>(() => FerryClient.ConnectAsync(declined));
        Assert.Equal([$"localhost:{server.EndPoint.Port} {server.Server.CertificateFingerprint}"], asked);

        var accepting = Unpinned(server, state.Path);
        accepting.AcceptNewHost = true;
        await using (var first = await FerryClient.ConnectAsync(accepting))
        {
            Assert.Equal("1"u8.ToArray(), await first.EchoAsync("1"u8.ToArray()));
        }
        var knownHosts = await File.ReadAllTextAsync(Path.Combine(state.Path, StateFolder.KnownHostsFileName));
        Assert.Contains($"localhost:{server.EndPoint.Port} {server.Server.CertificateFingerprint}", knownHosts);

        await using var second = await FerryClient.ConnectAsync(Unpinned(server, state.Path)); // remembered now
        Assert.Equal("2"u8.ToArray(), await second.EchoAsync("2"u8.ToArray()));
    }

    [Fact]
    public async Task ChangedFingerprintIsRefusedLoudlyEvenWithAcceptNew()
    {
        await using var server = await TestServer.StartAsync();
        var good = await server.ConnectAsync();
        using var state = new ScratchFolder();
        const string old = "SHA256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        new KnownHosts(Path.Combine(state.Path, StateFolder.KnownHostsFileName)).Add($"localhost:{server.EndPoint.Port}", old);
        var options = Unpinned(server, state.Path);
        options.AcceptNewHost = true;
        var ex = await Assert.ThrowsAsync<FerryConnectException>(() => FerryClient.ConnectAsync(options));
        Assert.Contains("HAS CHANGED", ex.Message);
        Assert.Contains(old, ex.Message);
        Assert.Contains(server.Server.CertificateFingerprint!, ex.Message);
        Assert.Contains("known_hosts", ex.Message);
        Assert.Equal("ok"u8.ToArray(), await good.EchoAsync("ok"u8.ToArray()));
    }

    [Fact]
    public async Task TheSameMachinesOwnServerIsTrustedOnLoopbackWithoutAsking()
    {
        await using var server = await TestServer.StartAsync();
        var options = server.ClientOptions();
        options.ServerFingerprint = null;
        options.StateDirectory = server.DataDirectory; // as when client and server share ~/.ferry
        options.KeyFile = null;
        await using var client = await FerryClient.ConnectAsync(options);
        Assert.Equal("own"u8.ToArray(), await client.EchoAsync("own"u8.ToArray()));
        Assert.False(File.Exists(Path.Combine(server.DataDirectory, StateFolder.KnownHostsFileName)));
    }

    [Fact]
    public async Task PlainSocketSeesATlsHandshakeAndTheWireCarriesNoPlaintext()
    {
        await using var server = await TestServer.StartAsync();
        // A plain socket speaking the protocol in the clear gets no JSON back.
        using (var plain = await RawFrames.ConnectAsync(server.EndPoint.Port))
        {
            await using var stream = new NetworkStream(plain);
            await stream.WriteAsync(RawFrames.Hello);
            var reply = await ReadSomeAsync(stream);
            Assert.DoesNotContain("\"type\"", Encoding.Latin1.GetString(reply));
        }

        // A relay in the middle records the bytes of a real session.
        using var relay = new TcpListener(IPAddress.Loopback, 0);
        relay.Start();
        var relayed = RelayOnceAsync(relay, server.EndPoint);
        var options = server.ClientOptions();
        options.Target = new FerryTarget("127.0.0.1", ((IPEndPoint)relay.LocalEndpoint).Port);
        const string secret = "the-secret-payload-0123456789";
        await using (var client = await FerryClient.ConnectAsync(options))
        {
            Assert.Equal(secret, Encoding.UTF8.GetString(await client.EchoAsync(Encoding.UTF8.GetBytes(secret))));
        }
        var (toServer, toClient) = await relayed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0x16, toServer[0]); // TLS record: handshake (ClientHello)
        Assert.Equal(0x03, toServer[1]);
        Assert.Equal(0x16, toClient[0]); // ServerHello
        foreach (var bytes in new[] { toServer, toClient })
        {
            var text = Encoding.Latin1.GetString(bytes);
            Assert.DoesNotContain(secret, text);
            Assert.DoesNotContain("\"type\"", text);
            Assert.DoesNotContain("hello", text);
        }
    }

    private static async Task<byte[]> ReadSomeAsync(Stream stream)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var all = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0) all.Write(buffer, 0, n);
        }
        catch (IOException)
        {
        }
        return all.ToArray();
    }

    private static async Task<(byte[] ToServer, byte[] ToClient)> RelayOnceAsync(TcpListener listener, IPEndPoint server)
    {
        using var inbound = await listener.AcceptTcpClientAsync();
        using var outbound = new TcpClient();
        await outbound.ConnectAsync(server);
        var toServer = new MemoryStream();
        var toClient = new MemoryStream();
        var a = PumpAsync(inbound.GetStream(), outbound.GetStream(), toServer, outbound.Client);
        var b = PumpAsync(outbound.GetStream(), inbound.GetStream(), toClient, inbound.Client);
        await Task.WhenAll(a, b);
        return (toServer.ToArray(), toClient.ToArray());
    }

    private static async Task PumpAsync(Stream from, Stream to, MemoryStream record, Socket toSocket)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer)) > 0)
            {
                record.Write(buffer, 0, n);
                await to.WriteAsync(buffer.AsMemory(0, n));
            }
            toSocket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
    }
}

using System.Net.Sockets;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Security;
using Ferry.Security.SharedKey;
using Ferry.Server;
using Ferry.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Ferry.Tests.Security;

/// <summary>Every refusal over real sockets, each with its own error, while a good client on the same server keeps working.</summary>
public class AuthenticationTests
{
    [Fact]
    public async Task KeyAuthenticationIsMutualAndCarriesEveryRight()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        Assert.Equal(AuthMethods.Key, client.Authentication!.Method);
        Assert.Equal(Rights.All, client.Authentication.Rights);
        Assert.True(client.ServerHello.Tls);
        Assert.Equal(server.Server.CertificateFingerprint, client.ServerFingerprint);
        Assert.Equal("hi"u8.ToArray(), await client.EchoAsync("hi"u8.ToArray()));
    }

    [Fact]
    public async Task WrongKeyIsRefusedAndOthersKeepBeingServed()
    {
        await using var server = await TestServer.StartAsync();
        var good = await server.ConnectAsync();
        using var dir = new ScratchFolder();
        var otherKey = Path.Combine(dir.Path, "key");
        SharedKeyFile.LoadOrCreate(otherKey);
        var ex = await Assert.ThrowsAsync<FerryException>(() => server.ConnectAsync(o => o.KeyFile = otherKey));
        Assert.Equal(ProtocolError.AuthFailed, ex.Error);
        Assert.Contains("wrong key", ex.Message);
        Assert.Equal("fine"u8.ToArray(), await good.EchoAsync("fine"u8.ToArray()));
    }

    [Fact]
    public async Task UserLogsInWithScramAndGetsOnlyItsRights()
    {
        var exec = new CountingService();
        await using var server = await TestServer.StartAsync(build: b => b.AddService(new TestRoutes(r => r.Map("test.exec", exec.HandleAsync, Rights.Exec))));
        server.AddUser("carol", "correct horse", Rights.Chat);
        await using var carol = await FerryClient.ConnectAsync(server.UserOptions("carol", "correct horse"));
        Assert.Equal("carol", carol.Authentication!.User);
        Assert.Equal(AuthMethods.Scram, carol.Authentication.Method);
        var ex = await Assert.ThrowsAsync<FerryException>(() => carol.RequestAsync<NotePayload, NotePayload>("test.exec", new NotePayload(),
            TestJsonContext.Default.NotePayload, TestJsonContext.Default.NotePayload));
        Assert.Equal(ProtocolError.Forbidden, ex.Error);
        Assert.Contains("'exec'", ex.Message);
        Assert.Equal(0, exec.Calls); // nothing was executed
        Assert.Equal("still usable"u8.ToArray(), await carol.EchoAsync("still usable"u8.ToArray()));

        var keyHolder = await server.ConnectAsync();
        await keyHolder.RequestAsync<NotePayload, NotePayload>("test.exec", new NotePayload(), TestJsonContext.Default.NotePayload, TestJsonContext.Default.NotePayload);
        Assert.Equal(1, exec.Calls);
    }

    [Fact]
    public async Task WrongPasswordAndUnknownUserAreRefusedAndLoggedWithoutThePassword()
    {
        var log = new CapturingLoggerProvider();
        await using var server = await TestServer.StartAsync(build: b => b.ConfigureLogging(l => l.AddProvider(log).SetMinimumLevel(LogLevel.Debug)));
        server.AddUser("dave", "right password", Rights.Exec);
        var good = await server.ConnectAsync();

        var wrong = await Assert.ThrowsAsync<FerryException>(() => FerryClient.ConnectAsync(server.UserOptions("dave", "s3cret-guess")));
        Assert.Equal(ProtocolError.AuthFailed, wrong.Error);
        Assert.Contains("wrong password for 'dave'", wrong.Message);

        var unknown = await Assert.ThrowsAsync<FerryException>(() => FerryClient.ConnectAsync(server.UserOptions("nobody", "an0ther-guess")));
        Assert.Equal(ProtocolError.AuthFailed, unknown.Error);
        Assert.Contains("'nobody'", unknown.Message);

        var lines = log.All;
        Assert.Contains("Failed scram-sha-256 login from 127.0.0.1 as 'dave': wrong password", lines);
        Assert.Contains("Failed scram-sha-256 login from 127.0.0.1 as 'nobody': unknown user", lines);
        Assert.DoesNotContain("s3cret-guess", lines);
        Assert.DoesNotContain("an0ther-guess", lines);
        Assert.Equal("ok"u8.ToArray(), await good.EchoAsync("ok"u8.ToArray()));
        await using var dave = await FerryClient.ConnectAsync(server.UserOptions("dave", "right password"));
        Assert.Equal("dave", dave.Authentication!.User);
    }

    [Fact]
    public async Task ReplayedHandshakeTranscriptIsRefused()
    {
        await using var server = await TestServer.StartAsync();
        var good = await server.ConnectAsync();
        var key = RawHandshake.Key(server);
        var binding = RawHandshake.ChannelBinding(server);

        // A genuine handshake, recorded.
        byte[] recorded;
        await using (var first = await server.OpenRawStreamAsync())
        {
            await RawHandshake.HelloAsync(first);
            var serverNonce = await RawHandshake.StartKeyAsync(first);
            var clientNonce = RawHandshake.NewNonce();
            recorded = RawHandshake.ProofFrame(clientNonce, KeyProof.Client(key, serverNonce, clientNonce, binding));
            await first.WriteAsync(recorded);
            Assert.Equal("auth.ok", RawHandshake.CodeOrType((await RawFrames.ReadFrameAsync(first))!.Value.Header));
        }

        // The same client messages played to a new connection.
        await using var replay = await server.OpenRawStreamAsync();
        await RawHandshake.HelloAsync(replay);
        await RawHandshake.StartKeyAsync(replay);
        await replay.WriteAsync(recorded);
        var refusal = (await RawFrames.ReadFrameAsync(replay))!.Value.Header;
        Assert.Equal("auth_failed", RawHandshake.CodeOrType(refusal));
        Assert.Contains("replayed", RawHandshake.Message(refusal));
        Assert.True(await RawHandshake.ClosesAsync(replay, TimeSpan.FromSeconds(10)));
        Assert.Equal("ok"u8.ToArray(), await good.EchoAsync("ok"u8.ToArray()));
    }

    [Fact]
    public async Task ProofOverATamperedNonceIsRefused()
    {
        await using var server = await TestServer.StartAsync();
        var good = await server.ConnectAsync();
        await using var stream = await server.OpenRawStreamAsync();
        await RawHandshake.HelloAsync(stream);
        var serverNonce = await RawHandshake.StartKeyAsync(stream);
        serverNonce[0] ^= 0x01; // changed on the way
        var clientNonce = RawHandshake.NewNonce();
        await stream.WriteAsync(RawHandshake.ProofFrame(clientNonce, KeyProof.Client(RawHandshake.Key(server), serverNonce, clientNonce, RawHandshake.ChannelBinding(server))));
        var refusal = (await RawFrames.ReadFrameAsync(stream))!.Value.Header;
        Assert.Equal("auth_failed", RawHandshake.CodeOrType(refusal));
        Assert.Contains("wrong key", RawHandshake.Message(refusal));
        Assert.Equal("ok"u8.ToArray(), await good.EchoAsync("ok"u8.ToArray()));
    }

    [Fact]
    public async Task MalformedNonceIsABadRequest()
    {
        await using var server = await TestServer.StartAsync();
        await using var stream = await server.OpenRawStreamAsync();
        await RawHandshake.HelloAsync(stream);
        await RawHandshake.StartKeyAsync(stream);
        await stream.WriteAsync(RawHandshake.ProofFrame(new byte[5], new byte[32]));
        var refusal = (await RawFrames.ReadFrameAsync(stream))!.Value.Header;
        Assert.Equal("bad_request", RawHandshake.CodeOrType(refusal));
        Assert.Contains("'nonce' must be 32 bytes", RawHandshake.Message(refusal));
    }

    [Fact]
    public async Task ProofRelayedFromAnotherTlsChannelIsRefused()
    {
        await using var server = await TestServer.StartAsync();
        await using var stream = await server.OpenRawStreamAsync();
        await RawHandshake.HelloAsync(stream);
        var serverNonce = await RawHandshake.StartKeyAsync(stream);
        var clientNonce = RawHandshake.NewNonce();
        var relayCertificateHash = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32); // what a man in the middle's client saw
        await stream.WriteAsync(RawHandshake.ProofFrame(clientNonce, KeyProof.Client(RawHandshake.Key(server), serverNonce, clientNonce, relayCertificateHash)));
        Assert.Equal("auth_failed", RawHandshake.CodeOrType((await RawFrames.ReadFrameAsync(stream))!.Value.Header));
    }

    [Fact]
    public async Task RequestBeforeAuthenticationIsRefusedAndClosed()
    {
        var echo = new CountingService();
        await using var server = await TestServer.StartAsync(build: b => b.AddService(new TestRoutes(r => r.Map("test.count", echo.HandleAsync))));
        var good = await server.ConnectAsync();
        await using var stream = await server.OpenRawStreamAsync();
        await RawHandshake.HelloAsync(stream);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"test.count","id":7}"""));
        var refusal = (await RawFrames.ReadFrameAsync(stream))!.Value.Header;
        Assert.Equal("unauthenticated", RawHandshake.CodeOrType(refusal));
        Assert.Contains("before authentication", RawHandshake.Message(refusal));
        Assert.True(await RawHandshake.ClosesAsync(stream, TimeSpan.FromSeconds(10)));
        Assert.Equal(0, echo.Calls);
        Assert.Equal("ok"u8.ToArray(), await good.EchoAsync("ok"u8.ToArray()));
    }

    [Fact]
    public async Task BodyBeforeAuthenticationIsRefused()
    {
        await using var server = await TestServer.StartAsync();
        await using var stream = await server.OpenRawStreamAsync();
        await RawHandshake.HelloAsync(stream);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"auth.key.start","id":2,"size":3}""", "abc"u8));
        var refusal = (await RawFrames.ReadFrameAsync(stream))!.Value.Header;
        Assert.Equal("unauthenticated", RawHandshake.CodeOrType(refusal));
        Assert.Contains("no frame may carry a body before authentication", RawHandshake.Message(refusal));
    }

    [Fact]
    public async Task OversizedHeaderDuringTheHandshakeIsRefused()
    {
        await using var server = await TestServer.StartAsync();
        var good = await server.ConnectAsync();
        await using var stream = await server.OpenRawStreamAsync();
        await RawHandshake.HelloAsync(stream);
        await stream.WriteAsync(RawFrames.Frame("{\"type\":\"auth.key.start\",\"id\":2,\"pad\":\"" + new string('x', 4200) + "\"}"));
        var refusal = (await RawFrames.ReadFrameAsync(stream))!.Value.Header;
        Assert.Equal("bad_header_length", RawHandshake.CodeOrType(refusal));
        Assert.Equal("ok"u8.ToArray(), await good.EchoAsync("ok"u8.ToArray()));
    }

    [Fact]
    public async Task HandshakeThatNeverFinishesIsCutOffAtTheDeadline()
    {
        await using var server = await TestServer.StartAsync(o => o.Server.HandshakeTimeout = TimeSpan.FromSeconds(1));
        var good = await server.ConnectAsync();

        // Silent after TCP connect: TLS handshake deadline.
        using var silent = await RawFrames.ConnectAsync(server.EndPoint.Port);
        await using var silentStream = new NetworkStream(silent);
        // Hello, then nothing: the session's handshake deadline.
        await using var stalled = await server.OpenRawStreamAsync();
        await RawHandshake.HelloAsync(stalled);

        Assert.True(await RawHandshake.ClosesAsync(silentStream, TimeSpan.FromSeconds(15)));
        Assert.True(await RawHandshake.ClosesAsync(stalled, TimeSpan.FromSeconds(15)));
        Assert.Equal("ok"u8.ToArray(), await good.EchoAsync("ok"u8.ToArray()));
    }

    [Fact]
    public async Task UnauthenticatedConnectionsPerAddressAreCapped()
    {
        await using var server = await TestServer.StartAsync(o => o.Server.Authentication.MaxUnauthenticatedPerAddress = 2);
        var good = await server.ConnectAsync();
        var idle1 = await server.OpenRawStreamAsync();
        var idle2 = await server.OpenRawStreamAsync();
        var ex = await Assert.ThrowsAsync<FerryConnectException>(() => FerryClient.ConnectAsync(server.ClientOptions()));
        Assert.Contains("TLS handshake", ex.Message);
        Assert.Equal("authenticated ones are not counted"u8.ToArray(), await good.EchoAsync("authenticated ones are not counted"u8.ToArray()));

        await idle1.DisposeAsync();
        await idle2.DisposeAsync();
        // The slots come back once the server notices the close; bounded attempts, each a real handshake.
        FerryClient? again = null;
        for (int attempt = 0; attempt < 50 && again is null; attempt++)
        {
            try
            {
                again = await FerryClient.ConnectAsync(server.ClientOptions());
            }
            catch (FerryConnectException)
            {
            }
        }
        Assert.NotNull(again);
        await again.DisposeAsync();
    }

    [Fact]
    public async Task RawClientCanAuthenticateByHandAndThenMakeRequests()
    {
        await using var server = await TestServer.StartAsync();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"echo","id":4,"size":5}""", "hello"u8));
        var reply = (await RawFrames.ReadFrameAsync(stream))!.Value;
        Assert.Equal("echo", RawHandshake.CodeOrType(reply.Header));
        Assert.Equal("hello"u8.ToArray(), reply.Body);
    }

    [Fact]
    public async Task MalformedScramMessageIsABadRequest()
    {
        await using var server = await TestServer.StartAsync();
        await using var stream = await server.OpenRawStreamAsync();
        await RawHandshake.HelloAsync(stream);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"auth.scram.start","id":2,"message":null}"""));
        var refusal = (await RawFrames.ReadFrameAsync(stream))!.Value.Header;
        Assert.Equal("bad_request", RawHandshake.CodeOrType(refusal));
        Assert.Contains("bad SCRAM message", RawHandshake.Message(refusal));
    }

    [Fact]
    public async Task AServerThatDoesNotHoldTheKeyIsCaughtByTheClient()
    {
        await using var server = await TestServer.StartAsync(build: b => b.Authenticator = new ImpostorAuthenticator());
        var ex = await Assert.ThrowsAsync<FerryException>(() => server.ConnectAsync());
        Assert.Equal(ProtocolError.AuthFailed, ex.Error);
        Assert.Contains("could not prove it holds the key", ex.Message);
    }

    /// <summary>Plays the server side of the key handshake without the key: answers with a made-up proof.</summary>
    private sealed class ImpostorAuthenticator : IServerAuthenticator
    {
        public string[] Methods => [AuthMethods.Key];

        public async ValueTask<Principal?> OnFrameAsync(ServerSession session, Ferry.Protocol.FrameHeader header, Ferry.Connections.FrameBodyReader body, CancellationToken cancellationToken)
        {
            if (header.Type == "auth.key.start")
            {
                await session.Connection.SendAsync("auth.key.challenge", header.Id, new KeyChallengeMessage { Nonce = Convert.ToBase64String(RawHandshake.NewNonce()) },
                    AuthJsonContext.Default.KeyChallengeMessage, cancellationToken);
                return null;
            }
            await session.Connection.SendAsync("auth.ok", header.Id, new AuthOkMessage { User = "key", Method = "key", Proof = Convert.ToBase64String(new byte[32]) },
                AuthJsonContext.Default.AuthOkMessage, cancellationToken);
            return new Principal("key", "key", Rights.All);
        }
    }

    [Fact]
    public async Task PlaintextServerStillRequiresTheKey()
    {
        await using var server = await TestServer.StartPlaintextAsync();
        var client = await server.ConnectAsync();
        Assert.False(client.ServerHello.Tls);
        Assert.Equal(AuthMethods.Key, client.Authentication!.Method);
        var ex = await Assert.ThrowsAsync<FerryException>(() => server.ConnectAsync(o =>
        {
            o.KeyFile = null;
            o.StateDirectory = server.ClientStateDirectory; // holds no key
        }));
        Assert.Contains("no key was found", ex.Message);
    }

    [Fact]
    public async Task PlaintextOnANonLoopbackAddressIsRefusedUnlessInsecure()
    {
        var options = new Ferry.Hosting.FerryHostOptions();
        using var dir = new ScratchFolder();
        options.Server.DataDirectory = dir.Path;
        options.Server.Plaintext = true;
        options.Server.Endpoints.Add(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 0));
        var ex = Assert.Throws<InvalidOperationException>(() => Ferry.Hosting.FerryHost.Build(options));
        Assert.Contains("--insecure", ex.Message);
    }

    private sealed class CountingService
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public async ValueTask HandleAsync(RequestContext request)
        {
            Interlocked.Increment(ref _calls);
            await request.ReplyAsync(request.Type, new NotePayload { Note = "done" }, TestJsonContext.Default.NotePayload);
        }
    }
}

using Ferry.Client;
using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Security;
using Ferry.Server;
using Ferry.Contracts.Files;
using Ferry.Transfers;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Files;

/// <summary>files:read allows get/ls/stat; files:write is needed for put/rm/mkdir.</summary>
public sealed class FileRightsTests : IDisposable
{
    private readonly string _root = TempDirectory.Create("ferry-rights-root");
    private readonly string _local = TempDirectory.Create("ferry-rights-local");

    public void Dispose()
    {
        TempDirectory.TryDelete(_root);
        TempDirectory.TryDelete(_local);
    }

    [Fact]
    public async Task ReadOnlyPrincipalCanReadButNotWrite()
    {
        File.WriteAllText(Path.Combine(_root, "shared.txt"), "shared");
        Directory.CreateDirectory(Path.Combine(_root, "keep"));
        var reader = new Principal("reader", "test", [Rights.FilesRead]);
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root, b => b.Authenticator = new FixedPrincipalAuthenticator(reader));
        var client = await ConnectAsync(server);

        Assert.Contains(await client.ListAsync(), e => e.Name == "shared.txt");
        Assert.Equal(6, (await client.StatAsync("shared.txt")).Length);
        await client.DownloadAsync("shared.txt", Path.Combine(_local, "shared.txt"));
        Assert.Equal("shared", File.ReadAllText(Path.Combine(_local, "shared.txt")));

        var before = FileTestData.Snapshot(_root);
        var upload = Path.Combine(_local, "new.txt");
        File.WriteAllText(upload, "new");
        var writes = new Func<Task>[]
        {
            () => client.UploadAsync(upload, "new.txt"),
            () => client.RemoveAsync("shared.txt"),
            () => client.RemoveAsync("keep", recursive: true),
            () => client.MakeDirectoryAsync("made"),
        };
        foreach (var write in writes)
        {
            var refused = await Assert.ThrowsAsync<FerryException>(write);
            Assert.Equal(ProtocolError.Forbidden, refused.Error);
            Assert.Contains("files:write", refused.Message, StringComparison.Ordinal);
        }
        Assert.Equal(before, FileTestData.Snapshot(_root));
    }

    [Fact]
    public async Task PrincipalWithoutFileRightsCannotRead()
    {
        File.WriteAllText(Path.Combine(_root, "private.txt"), "private");
        var nobody = new Principal("nobody", "test", [Rights.Chat]);
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root, b => b.Authenticator = new FixedPrincipalAuthenticator(nobody));
        var client = await ConnectAsync(server);
        var reads = new Func<Task>[]
        {
            () => client.ListAsync(),
            () => client.StatAsync("private.txt"),
            () => client.DownloadAsync("private.txt", Path.Combine(_local, "private.txt")),
        };
        foreach (var read in reads)
        {
            var refused = await Assert.ThrowsAsync<FerryException>(read);
            Assert.Equal(ProtocolError.Forbidden, refused.Error);
            Assert.Contains("files:read", refused.Message, StringComparison.Ordinal);
        }
        Assert.False(File.Exists(Path.Combine(_local, "private.txt")));
    }

    private static async Task<FerryClient> ConnectAsync(TestServer server)
    {
        var client = await server.ConnectAsync();
        // The test authenticator takes the first frame after hello as the handshake and answers it with pong.
        long id = client.NextId();
        var pong = new ResponseSink<FileReady>(null);
        client.Register(id, pong);
        await client.Connection.SendAsync(MessageTypes.Ping, id);
        Assert.Equal(MessageTypes.Pong, (await pong.Task.WaitAsync(TimeSpan.FromSeconds(10))).Type);
        client.Unregister(id);
        return client;
    }

    /// <summary>
    /// A test-only authenticator that advertises no methods and grants a fixed principal on the first frame. Real
    /// authentication belongs to the security work; this only lets the rights checks be exercised.
    /// </summary>
    private sealed class FixedPrincipalAuthenticator(Principal principal) : IServerAuthenticator
    {
        public string[] Methods => [];

        public async ValueTask<Principal?> OnFrameAsync(ServerSession session, FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
        {
            await session.Connection.SendAsync(MessageTypes.Pong, header.Id, cancellationToken);
            return principal;
        }
    }
}

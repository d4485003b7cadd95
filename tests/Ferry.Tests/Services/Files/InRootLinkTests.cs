using Ferry.Client;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Files;

/// <summary>
/// Links that stay inside the root keep working as docs/protocol.md §5.4 says, now that the root is walked by
/// directory descriptors: relative and absolute targets, folders and files, followed for get/put/list/stat/mkdir,
/// removed themselves (never their targets) by remove.
/// </summary>
public sealed class InRootLinkTests : IDisposable
{
    private readonly string _base = TempDirectory.Create("ferry-inlinks");
    private readonly string _root;

    public InRootLinkTests()
    {
        _root = Path.Combine(_base, "root");
        Directory.CreateDirectory(Path.Combine(_root, "sub", "deeper"));
        File.WriteAllText(Path.Combine(_root, "sub", "x.txt"), "x-content");
        File.CreateSymbolicLink(Path.Combine(_root, "abs-sub"), Path.Combine(_root, "sub")); // absolute, inside
        File.CreateSymbolicLink(Path.Combine(_root, "rel-sub"), "sub");
        File.CreateSymbolicLink(Path.Combine(_root, "sub", "deeper", "back"), "../../sub"); // climbs, stays inside
        File.CreateSymbolicLink(Path.Combine(_root, "x-link"), "abs-sub/x.txt"); // a link through a link
        File.CreateSymbolicLink(Path.Combine(_root, "to-root"), ".");
    }

    public void Dispose() => TempDirectory.TryDelete(_base);

    [Fact]
    public async Task LinksInsideTheRootAreFollowedAndRemoveTakesTheLinkOnly()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        var local = Path.Combine(_base, "got.txt");
        foreach (var path in new[] { "abs-sub/x.txt", "rel-sub/x.txt", "sub/deeper/back/x.txt", "x-link", "to-root/sub/x.txt" })
        {
            await client.DownloadAsync(path, local, new FileTransferOptions { Force = true });
            Assert.Equal("x-content", File.ReadAllText(local));
            Assert.Equal(9, (await client.StatAsync(path)).Length);
        }
        Assert.Equal("dir", (await client.StatAsync("abs-sub")).Kind);
        Assert.Contains(await client.ListAsync("abs-sub"), e => e.Name == "x.txt");
        Assert.Contains(await client.ListAsync("", recursive: true), e => e.Name == "sub/deeper/back" && e.Kind == "link");

        var payload = Path.Combine(_base, "payload.txt");
        File.WriteAllText(payload, "payload");
        await client.UploadAsync(payload, "abs-sub/new.txt");
        Assert.Equal("payload", File.ReadAllText(Path.Combine(_root, "sub", "new.txt")));
        await client.UploadAsync(payload, "x-link", new FileTransferOptions { Force = true }); // replaces the link's target
        Assert.Equal("payload", File.ReadAllText(Path.Combine(_root, "sub", "x.txt")));
        Assert.NotNull(new FileInfo(Path.Combine(_root, "x-link")).LinkTarget);
        await client.MakeDirectoryAsync("rel-sub/made/inner", parents: true);
        Assert.True(Directory.Exists(Path.Combine(_root, "sub", "made", "inner")));
        var exists = await Assert.ThrowsAsync<FerryException>(() => client.MakeDirectoryAsync("abs-sub"));
        Assert.Equal(ProtocolError.AlreadyExists, exists.Error);

        await client.RemoveAsync("rel-sub/new.txt");
        Assert.False(File.Exists(Path.Combine(_root, "sub", "new.txt")));
        await client.RemoveAsync("abs-sub", recursive: true); // the link, not the folder it names
        Assert.False(File.Exists(Path.Combine(_root, "abs-sub")) || Directory.Exists(Path.Combine(_root, "abs-sub")));
        Assert.True(File.Exists(Path.Combine(_root, "sub", "x.txt")));
        var root = await Assert.ThrowsAsync<FerryException>(() => client.RemoveAsync("to-root", recursive: true));
        Assert.Equal(ProtocolError.BadPath, root.Error);
        Assert.True(Directory.Exists(Path.Combine(_root, "sub")));
    }
}

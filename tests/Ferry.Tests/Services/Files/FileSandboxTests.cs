using FsCheck;
using FsCheck.Fluent;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Contracts.Files;
using Ferry.Services.Files;
using Ferry.Transfers;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Files;

/// <summary>Hostile remote paths, over real sockets: each is refused with bad_path naming it, and nothing outside the root changes.</summary>
public sealed class FileSandboxTests : IDisposable
{
    // A scratch folder holding the root and a sibling 'outside' with a secret the links aim at.
    private readonly string _base = TempDirectory.Create("ferry-sandbox");
    private readonly string _root;
    private readonly string _outside;

    public FileSandboxTests()
    {
        _root = Path.Combine(_base, "root");
        _outside = Path.Combine(_base, "outside");
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "secret");
        File.WriteAllText(Path.Combine(_root, "inside.txt"), "inside");
        File.CreateSymbolicLink(Path.Combine(_root, "out-dir"), _outside);
        File.CreateSymbolicLink(Path.Combine(_root, "out-file"), Path.Combine(_outside, "secret.txt"));
        File.CreateSymbolicLink(Path.Combine(_root, "sub", "up"), "../../outside");
        File.CreateSymbolicLink(Path.Combine(_root, "chain1"), "chain2");
        File.CreateSymbolicLink(Path.Combine(_root, "chain2"), "sub/up");
        File.CreateSymbolicLink(Path.Combine(_root, "dangling-out"), Path.Combine(_outside, "not-yet-there.txt"));
        File.CreateSymbolicLink(Path.Combine(_root, "loop1"), "loop2");
        File.CreateSymbolicLink(Path.Combine(_root, "loop2"), "loop1");
        File.CreateSymbolicLink(Path.Combine(_root, "to-root-parent"), "..");
        File.CreateSymbolicLink(Path.Combine(_root, "abs-etc"), "/etc");
        // Links that stay inside are fine.
        File.CreateSymbolicLink(Path.Combine(_root, "in-link"), "inside.txt");
        File.CreateSymbolicLink(Path.Combine(_root, "sub", "in-up"), "../inside.txt");
    }

    public void Dispose() => TempDirectory.TryDelete(_base);

    public static TheoryData<string> HostilePaths() => new()
    {
        "../outside/secret.txt",
        "..",
        "sub/../../outside/secret.txt",
        "a/b/../../../x",
        "/etc/passwd",
        "//server/share/x",
        "C:/Windows/win.ini",
        "c:relative.txt",
        "sub\\..\\..\\outside\\secret.txt",
        "nul\0byte.txt",
        "CON",
        "sub/aux.txt",
        "LPT1.log",
        "com9",
        "name-with-stream.txt:hidden",
        "trailing-dot.",
        "trailing-space ",
        "new\nline.txt",
        new string('a', 256),
        string.Join('/', Enumerable.Repeat("dir", 300)),
        "out-dir/secret.txt",
        "out-dir/new.txt",
        "out-file",
        "sub/up/secret.txt",
        "chain1/secret.txt",
        "dangling-out",
        "loop1",
        "to-root-parent/outside/secret.txt",
        "abs-etc/passwd",
    };

    [Theory]
    [MemberData(nameof(HostilePaths))]
    public async Task EveryOperationRefusesTheHostilePath(string path)
    {
        var before = FileTestData.Snapshot(_base);
        var secret = File.ReadAllText(Path.Combine(_outside, "secret.txt"));
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        var local = Path.Combine(_base, "upload.txt");
        File.WriteAllText(local, "payload");
        var localBefore = FileTestData.Snapshot(_base);

        var attempts = new (string Name, Func<Task> Run)[]
        {
            ("put", () => client.UploadAsync(local, path, new FileTransferOptions { Force = true })),
            ("get", () => client.DownloadAsync(path, Path.Combine(_base, "download.txt"))),
            ("list", () => client.ListAsync(path)),
            ("stat", () => client.StatAsync(path)),
            ("mkdir", () => client.MakeDirectoryAsync(path, parents: true)),
            ("remove", () => client.RemoveAsync(path, recursive: true)),
        };
        foreach (var (name, run) in attempts)
        {
            var refused = await Assert.ThrowsAsync<FerryException>(run);
            Assert.True(refused.Error == ProtocolError.BadPath, $"{name} '{FileSandbox.Printable(path)}' answered {refused.Code}: {refused.Message}");
            Assert.StartsWith("bad path '", refused.Message, StringComparison.Ordinal);
            Assert.Contains(FileSandbox.Printable(path)[..Math.Min(20, path.Length)], refused.Message, StringComparison.Ordinal);
        }
        // Nothing was created, removed or changed anywhere (the download's .part is not left either).
        File.Delete(local);
        Assert.Equal(before, FileTestData.Snapshot(_base));
        Assert.Equal(secret, File.ReadAllText(Path.Combine(_outside, "secret.txt")));
        Assert.True(localBefore.Count > 0);
        // And the connection is still usable.
        Assert.Equal("still here"u8.ToArray(), await client.EchoAsync("still here"u8.ToArray()));
    }

    [Fact]
    public async Task LinksThatStayInsideWork()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        var viaLink = Path.Combine(_base, "via-link.txt");
        await client.DownloadAsync("in-link", viaLink);
        Assert.Equal("inside", File.ReadAllText(viaLink));
        await client.DownloadAsync("sub/in-up", viaLink, new FileTransferOptions { Force = true });
        Assert.Equal("inside", File.ReadAllText(viaLink));
        var entries = await client.ListAsync("");
        Assert.Equal("link", entries.Single(e => e.Name == "out-dir").Kind);
        // Removing a link removes the link, not its target.
        await client.RemoveAsync("in-link");
        Assert.True(File.Exists(Path.Combine(_root, "inside.txt")));
        Assert.False(File.Exists(Path.Combine(_root, "in-link")));
        // './a//b' style paths are normalised, not refused.
        File.WriteAllText(Path.Combine(_root, "sub", "x.txt"), "x");
        Assert.Equal("x.txt", (await client.StatAsync("./sub//x.txt")).Name);
    }

    [Fact]
    public async Task UploadCannotTargetPartFilesOrTheRoot()
    {
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        var local = Path.Combine(_base, "p.txt");
        File.WriteAllText(local, "p");
        foreach (var path in new[] { "x.0123456789abcdef.part", "", "." })
        {
            var refused = await Assert.ThrowsAsync<FerryException>(() => client.UploadAsync(local, path));
            Assert.Equal(ProtocolError.BadPath, refused.Error);
        }
        var root = await Assert.ThrowsAsync<FerryException>(() => client.RemoveAsync("", recursive: true));
        Assert.Equal(ProtocolError.BadPath, root.Error);
        Assert.True(Directory.Exists(_root));
    }

    [Fact]
    public void AnyPathThatResolvesStaysInsideTheRoot()
    {
        var sandbox = new FileSandbox(_root);
        var pieces = new[] { "a", "sub", "..", ".", "", "up", "out-dir", "chain1", "in-link", "\\", ":", "CON", "x.txt", "to-root-parent", "abs-etc" };
        var gen = Gen.ListOf(Gen.Elements(pieces)).Select(parts => string.Join('/', parts));
        Prop.ForAll(gen.ToArbitrary(), path =>
        {
            try
            {
                var resolved = sandbox.Resolve(path);
                return resolved.RealPath == sandbox.Root || resolved.RealPath.StartsWith(sandbox.Root + "/", StringComparison.Ordinal);
            }
            catch (FerryException ex) when (ex.Error == ProtocolError.BadPath)
            {
                return true;
            }
        }).QuickCheckThrowOnFailure();
    }
}

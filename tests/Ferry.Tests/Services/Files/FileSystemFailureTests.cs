using Ferry.Client;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Files;

/// <summary>
/// A full disk and a read-only folder on the server, made for real with small tmpfs mounts inside the root: each is
/// a one-line error saying what to do, no final file appears, and the same connection goes on working.
/// </summary>
public sealed class FileSystemFailureTests : IAsyncLifetime
{
    private readonly string _local = TempDirectory.Create("ferry-fsfail-local");
    private readonly string _root = TempDirectory.Create("ferry-fsfail-root");
    private readonly List<string> _mounts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var mount in _mounts) await ProcessRunner.RunAsync("umount", ["-l", mount]);
        TempDirectory.TryDelete(_local);
        TempDirectory.TryDelete(_root);
    }

    private async Task<string> MountAsync(string name, string options)
    {
        var path = Path.Combine(_root, name);
        Directory.CreateDirectory(path);
        var (code, _, error) = await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", path]);
        Assert.True(code == 0, $"mount -t tmpfs -o {options} failed: {error}");
        _mounts.Add(path);
        return path;
    }

    [RootFact]
    public async Task AFullDiskIsAClearErrorThePartStaysForResumeAndTheConnectionGoesOn()
    {
        var small = await MountAsync("small", "size=1m");
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        var big = FileTestData.Create(_local, "big.bin", 3 * 1024 * 1024, seed: 5);

        var error = await Assert.ThrowsAsync<FerryException>(() => client.UploadAsync(big, "small/big.bin"));
        Assert.Equal(ProtocolError.IoError, error.Error);
        Assert.Contains("no space left", error.Message, StringComparison.Ordinal);
        Assert.Contains("'resume'", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(small, "big.bin")), "a partial upload must never take the final name");

        // Same connection, somewhere with room: works, and is intact.
        var fine = FileTestData.Create(_local, "fine.bin", 200_000, seed: 6);
        var result = await client.UploadAsync(fine, "fine.bin");
        Assert.Equal(FileTestData.Sha256(fine), FileTestData.Sha256(Path.Combine(_root, "fine.bin")));
        Assert.Equal(result.Sha256, FileTestData.Sha256(fine));
    }

    [RootFact]
    public async Task AReadOnlyFolderIsAClearErrorAndNothingIsWritten()
    {
        var frozen = await MountAsync("frozen", "ro,size=1m");
        await using var server = await TestServer.StartAsync(o => o.Files.Root = _root);
        var client = await server.ConnectAsync();
        var file = FileTestData.Create(_local, "f.bin", 10_000, seed: 7);

        var error = await Assert.ThrowsAsync<FerryException>(() => client.UploadAsync(file, "frozen/f.bin"));
        Assert.Equal(ProtocolError.IoError, error.Error);
        Assert.Contains("read-only", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(frozen));

        var mkdir = await Assert.ThrowsAsync<FerryException>(() => client.MakeDirectoryAsync("frozen/sub"));
        Assert.Equal(ProtocolError.IoError, mkdir.Error);
        Assert.Equal("still here"u8.ToArray(), await client.EchoAsync("still here"u8.ToArray()));
    }
}

using System.Text;
using Ferry.Client;
using Ferry.Security;
using Ferry.Security.Accounts;
using Ferry.Security.SharedKey;
using Ferry.Security.Tls;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Security;

public class SecurityFilesTests
{
    [Fact]
    public async Task FirstStartCreatesAnOwnerOnlyKeyAndAnEcdsaCertificate()
    {
        await using var server = await TestServer.StartAsync();
        Assert.Equal(SharedKeyFile.KeyBytes, SharedKeyFile.Load(server.KeyFile).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, ModeOf(server.KeyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, ModeOf(Path.Combine(server.DataDirectory, StateFolder.CertificateKeyFileName)));
        using var certificate = ServerIdentity.LoadOrCreate(server.DataDirectory);
        Assert.Equal("1.2.840.10045.2.1", certificate.PublicKey.Oid.Value); // id-ecPublicKey
        Assert.Equal(server.Server.CertificateFingerprint, CertificateFingerprint.Of(certificate));
        Assert.Matches("^SHA256:[0-9a-f]{64}$", server.Server.CertificateFingerprint!);
    }

    [Fact]
    public void UsersFileHoldsVerifiersOnlyAndIsOwnerOnly()
    {
        using var dir = new ScratchFolder();
        var path = Path.Combine(dir.Path, StateFolder.UsersFileName);
        var store = new UserStore(path);
        store.Add("erin", "hunter2-secret", [Rights.Exec, Rights.FilesRead], iterations: 4096);
        var text = File.ReadAllText(path);
        Assert.DoesNotContain("hunter2", text);
        Assert.Contains("storedKey", text);
        Assert.Contains("serverKey", text);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, ModeOf(path));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp")); // written via a temp file, then renamed

        Assert.Throws<InvalidOperationException>(() => store.Add("erin", "x", [], 4096));
        Assert.Throws<ArgumentException>(() => store.Add("frank", "x", ["root"], 4096));
        Assert.Throws<ArgumentException>(() => store.Add("bad name", "x", [], 4096));
        var before = store.Find("erin")!.Scram.Salt;
        store.SetPassword("erin", "new one", 4096);
        Assert.NotEqual(before, new UserStore(path).Find("erin")!.Scram.Salt);
        Assert.True(store.Remove("erin"));
        Assert.False(store.Remove("erin"));
        Assert.Empty(store.List());
    }

    [Fact]
    public void KeyRotationWritesAFreshKey()
    {
        using var dir = new ScratchFolder();
        var path = Path.Combine(dir.Path, "key");
        var first = SharedKeyFile.LoadOrCreate(path);
        var rotated = SharedKeyFile.Rotate(path);
        Assert.NotEqual(first, rotated);
        Assert.Equal(rotated, SharedKeyFile.Load(path));
        File.WriteAllText(path, "not a key");
        Assert.Contains("does not hold a Ferry key", Assert.Throws<InvalidDataException>(() => SharedKeyFile.Load(path)).Message);
    }

    [Fact]
    public async Task RotatedKeyTakesEffectWithoutARestart()
    {
        await using var server = await TestServer.StartAsync();
        var oldKey = File.ReadAllBytes(server.KeyFile);
        var before = await server.ConnectAsync();
        SharedKeyFile.Rotate(server.KeyFile);
        await using var after = await Ferry.Client.FerryClient.ConnectAsync(server.ClientOptions());
        Assert.Equal("new"u8.ToArray(), await after.EchoAsync("new"u8.ToArray()));
        using var dir = new ScratchFolder();
        var stale = Path.Combine(dir.Path, "old-key");
        File.WriteAllBytes(stale, oldKey);
        var ex = await Assert.ThrowsAsync<Ferry.Protocol.FerryException>(() => server.ConnectAsync(o => o.KeyFile = stale));
        Assert.Contains("wrong key", ex.Message);
        Assert.Equal("kept"u8.ToArray(), await before.EchoAsync("kept"u8.ToArray())); // already authenticated
        Assert.NotEmpty(Encoding.ASCII.GetString(oldKey));
    }

    private static UnixFileMode ModeOf(string path) =>
        OperatingSystem.IsWindows() ? UnixFileMode.UserRead | UnixFileMode.UserWrite : File.GetUnixFileMode(path);
}

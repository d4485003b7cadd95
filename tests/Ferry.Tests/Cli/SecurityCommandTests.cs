using System.Text.Json;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Cli;

public class SecurityCommandTests
{
    [Fact]
    public async Task UserAddListPasswdDel()
    {
        using var dir = new ScratchFolder();
        var add = await CliHarness.RunAsync(["user", "add", "gina", "--can", "exec,files:read", "--iterations", "4096", "--data", dir.Path], "pw-from-stdin\n"u8.ToArray());
        Assert.True(add.ExitCode == 0, add.StdErr);
        Assert.Contains("added user 'gina' with rights: exec, files:read", add.StdOut);

        var list = await CliHarness.RunAsync(["user", "list", "--json", "--data", dir.Path]);
        using var doc = JsonDocument.Parse(list.StdOut);
        var gina = doc.RootElement[0];
        Assert.Equal("gina", gina.GetProperty("name").GetString());
        Assert.Equal(["exec", "files:read"], gina.GetProperty("rights").EnumerateArray().Select(r => r.GetString()!).ToArray());

        var table = await CliHarness.RunAsync(["user", "list", "--data", dir.Path]);
        Assert.Contains("gina", table.StdOut);

        var duplicate = await CliHarness.RunAsync(["user", "add", "gina", "--data", dir.Path], "x\n"u8.ToArray());
        Assert.Equal(2, duplicate.ExitCode);
        Assert.Contains("already exists", duplicate.StdErr);

        var badRight = await CliHarness.RunAsync(["user", "add", "hal", "--can", "root", "--data", dir.Path], "x\n"u8.ToArray());
        Assert.Equal(2, badRight.ExitCode);
        Assert.Contains("unknown right(s) root", badRight.StdErr);

        var passwd = await CliHarness.RunAsync(["user", "passwd", "gina", "--iterations", "4096", "--data", dir.Path], "new-pw\n"u8.ToArray());
        Assert.True(passwd.ExitCode == 0, passwd.StdErr);

        var del = await CliHarness.RunAsync(["user", "del", "gina", "--data", dir.Path]);
        Assert.Equal(0, del.ExitCode);
        var missing = await CliHarness.RunAsync(["user", "del", "gina", "--data", dir.Path]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no user 'gina'", missing.StdErr);
    }

    [Fact]
    public async Task KeyShowAndRotate()
    {
        await using var server = await TestServer.StartAsync();
        var show = await CliHarness.RunAsync(["key", "show", "--data", server.DataDirectory]);
        Assert.Equal(0, show.ExitCode);
        Assert.Contains(File.ReadAllText(server.KeyFile).Trim(), show.StdOut);
        Assert.Contains(server.Server.CertificateFingerprint!, show.StdOut);

        var rotate = await CliHarness.RunAsync(["key", "rotate", "--data", server.DataDirectory]);
        Assert.Equal(0, rotate.ExitCode);
        Assert.DoesNotContain(File.ReadAllText(server.KeyFile).Trim(), show.StdOut);
        var echo = await CliHarness.RunAsync(["echo", $"127.0.0.1:{server.EndPoint.Port}", "after", "rotate", .. server.ClientArgs]);
        Assert.True(echo.ExitCode == 0, echo.StdErr);
    }

    [Fact]
    public async Task WrongKeyExitsWith4AndOneLine()
    {
        await using var server = await TestServer.StartAsync();
        using var dir = new ScratchFolder();
        var other = Path.Combine(dir.Path, "key");
        Ferry.Security.SharedKey.SharedKeyFile.LoadOrCreate(other);
        // The server's certificate next to the wrong key: trusted on loopback, so the refusal is the key's.
        File.Copy(Path.Combine(server.DataDirectory, Ferry.Security.StateFolder.CertificateFileName), Path.Combine(dir.Path, Ferry.Security.StateFolder.CertificateFileName));
        var result = await CliHarness.RunAsync(["echo", $"127.0.0.1:{server.EndPoint.Port}", "hi", "--key-file", other]);
        Assert.Equal(4, result.ExitCode);
        Assert.Single(result.StdErr.Trim().Split('\n'));
        Assert.Contains("wrong key", result.StdErr);
    }

    [Fact]
    public async Task PlaintextClientAgainstTlsServerSaysSo()
    {
        await using var server = await TestServer.StartAsync();
        var result = await CliHarness.RunAsync(["echo", $"127.0.0.1:{server.EndPoint.Port}", "hi", "--plaintext", "--key-file", server.KeyFile]);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("expects TLS", result.StdErr);
    }
}

public class BenchHandshakeCommandTests
{
    [Fact]
    public async Task BenchHandshakeCountsKeyLogins()
    {
        await using var server = await TestServer.StartAsync();
        var result = await CliHarness.RunAsync(["bench", "handshake", $"127.0.0.1:{server.EndPoint.Port}", "-c", "2", "-d", "0.5", "--warmup", "0", "--json", .. server.ClientArgs]);
        Assert.True(result.ExitCode == 0, result.StdErr);
        using var doc = System.Text.Json.JsonDocument.Parse(result.StdOut);
        Assert.True(doc.RootElement.GetProperty("handshakes").GetInt64() > 0);
        Assert.Equal("TLS 1.3", doc.RootElement.GetProperty("transport").GetString());
        Assert.Equal("key", doc.RootElement.GetProperty("method").GetString());
    }

    [Fact]
    public async Task BenchHandshakeCountsScramLogins()
    {
        await using var server = await TestServer.StartAsync();
        server.AddUser("ivan", "pw", Ferry.Security.Rights.Chat);
        var report = await Ferry.Cli.Commands.Bench.BenchHandshakeCommand.RunAsync(server.UserOptions("ivan", "pw"), 2, 1, 1, CancellationToken.None);
        Assert.True(report.Handshakes > 0);
        Assert.Equal(0, report.Errors);
        Assert.Equal("scram-sha-256", report.Method);
    }
}

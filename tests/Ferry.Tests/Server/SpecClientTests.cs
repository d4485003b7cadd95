using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Server;

/// <summary>A client written only from docs/protocol.md, in another language, must work against the server.</summary>
public class SpecClientTests
{
    [Fact]
    public async Task PythonClientWrittenFromTheSpecGetsItsEcho()
    {
        Assert.True(ProcessRunner.Exists("python3"), "python3 is needed for this test (tests/install-peers.sh installs it)");
        await using var server = await TestServer.StartAsync();
        var (code, stdout, stderr) = await ProcessRunner.RunAsync("python3",
            [RepoPaths.Of("docs", "examples", "echo_client.py"), "127.0.0.1", server.EndPoint.Port.ToString(), "hello from python ✓",
             "--key-file", server.KeyFile, "--fingerprint", server.Server.CertificateFingerprint!]);
        Assert.True(code == 0, stderr);
        Assert.Equal("HELLO FROM PYTHON ✓", stdout.Trim());
    }

    [Fact]
    public async Task PythonClientWorksOverPlaintextWithTheKey()
    {
        Assert.True(ProcessRunner.Exists("python3"), "python3 is needed for this test (tests/install-peers.sh installs it)");
        await using var server = await TestServer.StartPlaintextAsync();
        var (code, stdout, stderr) = await ProcessRunner.RunAsync("python3",
            [RepoPaths.Of("docs", "examples", "echo_client.py"), "127.0.0.1", server.EndPoint.Port.ToString(), "plain", "--key-file", server.KeyFile, "--plaintext"]);
        Assert.True(code == 0, stderr);
        Assert.Equal("PLAIN", stdout.Trim());
    }
}

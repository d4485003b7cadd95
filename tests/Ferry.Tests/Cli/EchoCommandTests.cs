using System.Text;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Cli;

public class EchoCommandTests
{
    [Fact]
    public async Task EchoPrintsTheReply()
    {
        await using var server = await TestServer.StartAsync();
        var result = await CliHarness.RunAsync(["echo", $"127.0.0.1:{server.EndPoint.Port}", "hello", "world", "--upper", .. server.ClientArgs]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("HELLO WORLD\n", result.StdOut);
    }

    [Fact]
    public async Task EchoSendsStandardInputBinarySafe()
    {
        await using var server = await TestServer.StartAsync();
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(Encoding.UTF8.GetBytes("ž\n")).ToArray();
        var result = await CliHarness.RunAsync(["echo", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs], stdin: bytes);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(bytes, result.StdOutBytes);
    }

    [Fact]
    public async Task NothingListeningIsOneLineAndExitCode3()
    {
        int port;
        await using (var server = await TestServer.StartAsync()) port = server.EndPoint.Port;
        var result = await CliHarness.RunAsync(["echo", $"127.0.0.1:{port}", "hi"]);
        Assert.Equal(3, result.ExitCode);
        Assert.Single(result.StdErr.Trim().Split('\n'));
        Assert.Contains("ferry serve", result.StdErr);
    }

    [Theory]
    [InlineData("host:99999")]
    [InlineData("[::1")]
    [InlineData(":7070")]
    public async Task BadTargetIsAUsageError(string target)
    {
        var result = await CliHarness.RunAsync(["echo", target, "hi"]);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("ferry: ", result.StdErr);
    }

    [Fact]
    public async Task VersionAndHelpWork()
    {
        var version = await CliHarness.RunAsync(["--version"]);
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.StdOut);
        var help = await CliHarness.RunAsync(["echo", "--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--upper", help.StdOut);
    }
}

public class ServeCommandTests
{
    [Fact]
    public async Task BusyPortIsOneLineNamingTheAddress()
    {
        await using var server = await TestServer.StartAsync();
        var home = TempDirectory.Create("ferry-home");
        try
        {
            var result = await CliHarness.RunAsync(["serve", "--listen", $"127.0.0.1:{server.EndPoint.Port}", "--plaintext", "--data", home]);
            Assert.Equal(1, result.ExitCode);
            var line = Assert.Single(result.StdErr.Trim().Split('\n'));
            Assert.Contains($"127.0.0.1:{server.EndPoint.Port}", line);
            Assert.Contains("already in use", line);
        }
        finally
        {
            TempDirectory.TryDelete(home);
        }
    }
}

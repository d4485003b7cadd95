using System.Net;
using Ferry.Datagrams;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Datagrams;

/// <summary>Ferry's SNTP server against a real NTP implementation: Debian's chrony (installed by tests/install-peers.sh).</summary>
public class ChronyInteropTests
{
    [Fact]
    public async Task ChronydOneShotQueryAcceptsTheAnswers()
    {
        Assert.True(File.Exists("/usr/sbin/chronyd") || ProcessRunner.Exists("chronyd"),
            "chronyd is missing: run tests/install-peers.sh (apt-get install chrony)");
        var chronyd = File.Exists("/usr/sbin/chronyd") ? "/usr/sbin/chronyd" : "chronyd";
        await using var server = await TestServer.StartAsync(o => o.Ntp = new SntpServerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) });
        var sntp = (SntpServer)server.Server.Services.GetService(typeof(SntpServer))!;

        // -Q: query only, never touch the clock; prints the offset it measured and exits.
        var (code, stdout, stderr) = await ProcessRunner.RunAsync(chronyd,
            ["-Q", "-t", "10", "-f", "/dev/null", $"server 127.0.0.1 port {sntp.LocalEndPoint.Port} iburst maxsamples 1"],
            TimeSpan.FromSeconds(30));
        var output = stdout + stderr;
        Assert.True(code == 0, $"chronyd exited {code}:\n{output}");
        Assert.Contains("System clock wrong by", output);
        Assert.DoesNotContain("No suitable source", output);
        Assert.True(sntp.Answered >= 1, $"the server answered {sntp.Answered} requests:\n{output}");
    }
}

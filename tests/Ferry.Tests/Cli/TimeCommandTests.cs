using System.Net;
using System.Text.Json;
using Ferry.Datagrams;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Cli;

public class TimeCommandTests
{
    private static async Task<(TestServer Server, int Port)> StartAsync(Action<SntpServerOptions>? configure = null)
    {
        var server = await TestServer.StartAsync(o =>
        {
            o.Ntp = new SntpServerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
            configure?.Invoke(o.Ntp);
        });
        return (server, ((SntpServer)server.Server.Services.GetService(typeof(SntpServer))!).LocalEndPoint.Port);
    }

    [Fact]
    public async Task TimePrintsServerTimeOffsetAndDelay()
    {
        var (server, port) = await StartAsync();
        await using var owned = server;
        var result = await CliHarness.RunAsync(["time", $"127.0.0.1:{port}", "--interval", "0"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"time\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} UTC", result.StdOut);
        Assert.Matches(@"offset\s+[+-][\d.]+ (ns|µs|ms)", result.StdOut);
        Assert.Matches(@"delay\s+[\d.]+ (ns|µs|ms) .*least of 4 samples", result.StdOut);
        Assert.Contains("stratum 2, reference LOCL", result.StdOut);
    }

    [Fact]
    public async Task JsonCarriesTheMeasurement()
    {
        var (server, port) = await StartAsync();
        await using var owned = server;
        var result = await CliHarness.RunAsync(["time", $"127.0.0.1:{port}", "--samples", "3", "--interval", "0", "--json"]);
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        var root = doc.RootElement;
        // SNTP's own error bound is half the round trip: a loaded machine stretches the delay, not the bound's validity.
        var delay = root.GetProperty("delaySeconds").GetDouble();
        Assert.InRange(delay, 0, 0.1);
        Assert.InRange(root.GetProperty("offsetSeconds").GetDouble(), -0.001 - delay / 2, 0.001 + delay / 2);
        Assert.Equal(3, root.GetProperty("samples").GetArrayLength());
        Assert.Equal(2, root.GetProperty("stratum").GetInt32());
        Assert.True(DateTime.TryParse(root.GetProperty("serverTime").GetString(), out _));
    }

    [Fact]
    public async Task SyncDryRunSaysWhatItWouldDoAndChangesNothing()
    {
        var (server, port) = await StartAsync(o => o.Clock = new ShiftedClock(TimeSpan.FromSeconds(-3)));
        await using var owned = server;
        var result = await CliHarness.RunAsync(["time", $"127.0.0.1:{port}", "--samples", "2", "--interval", "0", "--sync", "--dry-run"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"dry run: would step the clock by -(2\.9|3\.0)\d* s at once", result.StdOut);
        // Our own clock was not stepped back 3 s: a second query still sees the server 3 s behind.
        var again = await CliHarness.RunAsync(["time", $"127.0.0.1:{port}", "--samples", "1", "--json"]);
        using var doc = JsonDocument.Parse(again.StdOut);
        var delay = doc.RootElement.GetProperty("delaySeconds").GetDouble();
        Assert.InRange(doc.RootElement.GetProperty("offsetSeconds").GetDouble(), -3.01 - delay / 2, -2.99 + delay / 2);
    }

    [Fact]
    public async Task SmallOffsetsAreSlewed()
    {
        var (server, port) = await StartAsync(o => o.Clock = new ShiftedClock(TimeSpan.FromMilliseconds(40)));
        await using var owned = server;
        var result = await CliHarness.RunAsync(["time", $"127.0.0.1:{port}", "--samples", "1", "--sync", "--dry-run", "--json"]);
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        var sync = doc.RootElement.GetProperty("sync");
        Assert.Equal("slew", sync.GetProperty("action").GetString());
        Assert.True(sync.GetProperty("dryRun").GetBoolean());
        Assert.False(sync.GetProperty("applied").GetBoolean());
    }

    [Fact]
    public async Task SyncWithoutCapSysTimeNamesTheMissingPrivilegeAndExitsNonZero()
    {
        Assert.True(OperatingSystem.IsLinux(), "this test drops a Linux capability");
        var (server, port) = await StartAsync();
        await using var owned = server;
        var cli = typeof(Ferry.Cli.Program).Assembly.Location;
        string[] ferry = ["dotnet", cli, "time", $"127.0.0.1:{port}", "--samples", "1", "--sync"];
        // Run the real binary with CAP_SYS_TIME removed from its bounding set (so also from its effective set,
        // even as root). Even if the check were wrong, the kernel would refuse: this test cannot move the clock.
        var (capCode, capOut, _) = await ProcessRunner.RunAsync("setpriv", ["--bounding-set=-sys_time", "--inh-caps=-sys_time", "grep", "CapEff", "/proc/self/status"]);
        Assert.Equal(0, capCode);
        ulong effective = Convert.ToUInt64(capOut.Split(':')[1].Trim(), 16);
        Assert.True((effective & (1UL << 25)) == 0, $"setpriv did not drop CAP_SYS_TIME: {capOut}");

        var (code, stdout, stderr) = await ProcessRunner.RunAsync("setpriv", ["--bounding-set=-sys_time", "--inh-caps=-sys_time", .. ferry], TimeSpan.FromSeconds(60));
        Assert.Equal(4, code);
        Assert.Contains("clock not changed", stderr);
        Assert.Contains("CAP_SYS_TIME", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("offset", stdout);
    }

    [Fact]
    public async Task NoAnswerIsOneClearLineAndExitCode124()
    {
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)silent.LocalEndPoint!).Port;
        var result = await CliHarness.RunAsync(["time", $"127.0.0.1:{port}", "--samples", "1", "--retries", "1", "--timeout", "0.2"]);
        Assert.Equal(124, result.ExitCode);
        Assert.StartsWith("ferry: no reply from 127.0.0.1", result.StdErr);
        Assert.Single(result.StdErr.Trim().Split('\n'));
    }

    [Fact]
    public async Task KissOfDeathIsRejectedWithAClearMessage()
    {
        var (server, port) = await StartAsync(o => o.RatePerSource = 0.01);
        await using var owned = server;
        var result = await CliHarness.RunAsync(["time", $"127.0.0.1:{port}", "--samples", "3", "--interval", "0"]);
        Assert.Equal(5, result.ExitCode);
        Assert.Contains("kiss-o'-death RATE", result.StdErr);
    }

    [Theory]
    [InlineData("--dry-run")]
    [InlineData("--samples", "0")]
    public async Task BadUsageExitsWith2(params string[] extra)
    {
        var result = await CliHarness.RunAsync(["time", "127.0.0.1:1", .. extra]);
        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public async Task ServeRejectsAnOutOfRangeStratum()
    {
        var result = await CliHarness.RunAsync(["serve", "--plaintext", "--listen", "127.0.0.1:0", "--ntp", "0", "--stratum", "16"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--stratum must be 1-15", result.StdErr);
    }

    [Fact]
    public async Task BenchTimeReportsAnswersAndOffsets()
    {
        var (server, port) = await StartAsync();
        await using var owned = server;
        var result = await CliHarness.RunAsync(["bench", "time", $"127.0.0.1:{port}", "--duration", "0.5", "--warmup", "0", "--inflight", "4", "--json"]);
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        Assert.True(doc.RootElement.GetProperty("answers").GetInt64() > 10);
        Assert.InRange(doc.RootElement.GetProperty("offsetP50Micros").GetDouble(), -1000, 1000);
        Assert.Equal(0, doc.RootElement.GetProperty("kissOfDeath").GetInt64());
    }

    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + shift;
    }
}

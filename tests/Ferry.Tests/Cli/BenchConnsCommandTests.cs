using System.Text.Json;
using Ferry.Cli.Infrastructure;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Cli;

public class BenchConnsCommandTests
{
    [Fact]
    public async Task HoldsConnectionsAndReportsServerMemory()
    {
        await using var server = await TestServer.StartAsync();
        var result = await CliHarness.RunAsync(["bench", "conns", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs,
            "--count", "200", "--hold", "1.5", "--keepalive", "0.5", "--json"]);
        Assert.True(result.ExitCode == 0, result.StdErr + result.StdOut);
        using var doc = JsonDocument.Parse(result.StdOut);
        var r = doc.RootElement;
        Assert.Equal(200, r.GetProperty("established").GetInt32());
        Assert.Equal(0, r.GetProperty("failed").GetInt32());
        // 200 held + the monitor connection (+ possibly a fresh-echo probe in flight).
        Assert.InRange(r.GetProperty("serverConnections").GetInt64(), 201, 203);
        Assert.True(r.GetProperty("keepaliveOk").GetInt64() >= 200, r.ToString());
        Assert.Equal(0, r.GetProperty("keepaliveFailed").GetInt64());
        Assert.True(r.GetProperty("serverRssPeakBytes").GetInt64() >= r.GetProperty("serverRssBeforeBytes").GetInt64());
        Assert.Equal(JsonValueKind.Number, r.GetProperty("bytesPerConnection").ValueKind);
        Assert.True(r.GetProperty("handshakeP99Micros").GetDouble() >= r.GetProperty("handshakeP50Micros").GetDouble());
        Assert.True(r.GetProperty("freshSamples").GetInt64() > 0, r.ToString());
    }

    [Fact]
    public async Task ReadsServerMemoryFromProcWhenGivenThePid()
    {
        await using var server = await TestServer.StartAsync();
        var result = await CliHarness.RunAsync(["bench", "conns", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs,
            "--count", "20", "--hold", "0.5", "--server-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json"]);
        Assert.True(result.ExitCode == 0, result.StdErr + result.StdOut);
        using var doc = JsonDocument.Parse(result.StdOut);
        Assert.Equal($"/proc/{Environment.ProcessId}/status", doc.RootElement.GetProperty("memorySource").GetString());
        Assert.True(doc.RootElement.GetProperty("serverRssBeforeBytes").GetInt64() > 1024 * 1024);
    }

    [Fact]
    public async Task SpreadsConnectionsOverChildProcesses()
    {
        await using var server = await TestServer.StartAsync();
        var result = await CliHarness.RunAsync(["bench", "conns", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs,
            "--count", "101", "--processes", "2", "--hold", "1", "--json"]);
        Assert.True(result.ExitCode == 0, result.StdErr + result.StdOut);
        using var doc = JsonDocument.Parse(result.StdOut);
        var r = doc.RootElement;
        Assert.Equal(2, r.GetProperty("processes").GetInt32());
        Assert.Equal(101, r.GetProperty("established").GetInt32());
        Assert.InRange(r.GetProperty("serverConnections").GetInt64(), 102, 104);
        Assert.True(r.GetProperty("handshakeP50Micros").GetDouble() > 0);
    }

    [Fact]
    public async Task SaysSoWhenTheOpenFileLimitStopsIt()
    {
        // Plaintext: with TLS the client establishes none under 150 descriptors (TLS start-up needs descriptors of its own).
        await using var server = await TestServer.StartPlaintextAsync();
        var cli = Path.Combine(AppContext.BaseDirectory, "Ferry.Cli");
        Assert.True(File.Exists(cli), $"the CLI's launcher is missing at {cli}");
        // A hard limit of 150 descriptors: the runtime takes a few dozen, so 400 connections cannot fit.
        var (code, stdout, stderr) = await ProcessRunner.RunAsync("bash",
            ["-c", "ulimit -n 150 && exec \"$0\" \"$@\"", cli, "bench", "conns", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs,
                "--count", "400", "--hold", "0.5", "--json"], TimeSpan.FromSeconds(60));
        Assert.Equal(1, code);
        Assert.Contains("open-file limit is 150", stderr);
        Assert.Contains("--processes", stderr);
        using var doc = JsonDocument.Parse(stdout);
        var r = doc.RootElement;
        Assert.True(r.GetProperty("stoppedByFileLimit").GetBoolean(), stdout);
        Assert.InRange(r.GetProperty("established").GetInt32(), 1, 149);
        Assert.Contains(r.GetProperty("failures").EnumerateObject(), f => f.Name.Contains("open-file limit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BadCountsAreUsageErrors()
    {
        var result = await CliHarness.RunAsync(["bench", "conns", "127.0.0.1:1", "--count", "0"]);
        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public void OpenFileLimitIsRaisedTowardsTheHardLimit()
    {
        Assert.True(OperatingSystem.IsLinux(), "these benches need Linux's /proc and setrlimit");
        var limit = OpenFileLimit.Raise(4096);
        Assert.NotNull(limit);
        Assert.True(limit.Value.Soft >= Math.Min(4096UL, limit.Value.Hard), $"soft {limit.Value.Soft}, hard {limit.Value.Hard}");
    }
}

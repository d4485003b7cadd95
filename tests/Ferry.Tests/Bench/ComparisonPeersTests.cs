using System.Diagnostics;
using System.Text.Json;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Bench;

/// <summary>The peers bench/compare.sh measures Ferry against must themselves work: real processes, real sockets.</summary>
public class ComparisonPeersTests
{
    [Theory]
    [InlineData("python3", "bench/python/echo_server.py", "bench/python/load_client.py")]
    [InlineData("node", "bench/node/echo_server.js", "bench/node/load_client.js")]
    [InlineData("node", "bench/node/echo_server.js", "bench/python/load_client.py")]
    public async Task EchoServerAnswersItsLoadClient(string runtime, string server, string client)
    {
        using var process = StartServer(runtime, RepoPaths.Of(server));
        try
        {
            var port = await ReadPortAsync(process);
            var clientRuntime = client.EndsWith(".py", StringComparison.Ordinal) ? "python3" : "node";
            var (code, stdout, stderr) = await ProcessRunner.RunAsync(clientRuntime,
                [RepoPaths.Of(client), "--port", port, "--connections", "10", "--size", "32", "--duration", "0.5", "--warmup", "0.2"],
                TimeSpan.FromSeconds(30));
            Assert.True(code == 0, stderr + stdout);
            using var doc = JsonDocument.Parse(stdout);
            Assert.True(doc.RootElement.GetProperty("messagesPerSecond").GetDouble() > 0, stdout);
            Assert.Equal(0, doc.RootElement.GetProperty("errors").GetInt32());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task IdleConnectionHolderMeasuresTheServer()
    {
        using var process = StartServer("python3", RepoPaths.Of("bench/python/echo_server.py"));
        try
        {
            var port = await ReadPortAsync(process);
            var (code, stdout, stderr) = await ProcessRunner.RunAsync("python3",
                [RepoPaths.Of("bench/python/hold_conns.py"), "--port", port, "--server-pid", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--count", "50", "--hold", "0.2"], TimeSpan.FromSeconds(30));
            Assert.True(code == 0, stderr + stdout);
            using var doc = JsonDocument.Parse(stdout);
            Assert.Equal(50, doc.RootElement.GetProperty("established").GetInt32());
            Assert.True(doc.RootElement.GetProperty("serverRssPeakBytes").GetInt64() > 0);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task LineByLineUploadArrivesIntact()
    {
        var dir = TempDirectory.Create("ferry-upload");
        var source = Path.Combine(dir, "in.txt");
        var target = Path.Combine(dir, "out.txt");
        await File.WriteAllLinesAsync(source, Enumerable.Range(0, 20_000).Select(i => $"line {i} {new string('x', i % 97)}"));
        using var process = StartServer("python3", RepoPaths.Of("bench/python/upload_server.py"), "--out", target);
        try
        {
            var port = await ReadPortAsync(process);
            var (code, stdout, stderr) = await ProcessRunner.RunAsync("python3",
                [RepoPaths.Of("bench/python/upload_client.py"), "--port", port, "--file", source], TimeSpan.FromSeconds(30));
            Assert.True(code == 0, stderr);
            Assert.Contains("megabytesPerSecond", stdout);
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(exited.Token);
            Assert.Equal(await File.ReadAllBytesAsync(source), await File.ReadAllBytesAsync(target));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            TempDirectory.TryDelete(dir);
        }
    }

    [Fact]
    public async Task CompareScriptParsesAndExplainsItself()
    {
        var syntax = await ProcessRunner.RunAsync("bash", ["-n", RepoPaths.Of("bench/compare.sh")]);
        Assert.True(syntax.ExitCode == 0, syntax.StdErr);
        var help = await ProcessRunner.RunAsync("bash", [RepoPaths.Of("bench/compare.sh"), "--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("docs/performance.md", help.StdOut);
        var bad = await ProcessRunner.RunAsync("bash", [RepoPaths.Of("bench/compare.sh"), "--bogus"]);
        Assert.Equal(2, bad.ExitCode);
    }

    private static Process StartServer(string runtime, params string[] args)
    {
        var info = new ProcessStartInfo(runtime) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return Process.Start(info) ?? throw new InvalidOperationException($"cannot start {runtime}");
    }

    private static async Task<string> ReadPortAsync(Process process)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var line = await process.StandardOutput.ReadLineAsync(deadline.Token);
        if (string.IsNullOrWhiteSpace(line))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the server printed no port: " + await process.StandardError.ReadToEndAsync(deadline.Token));
        }
        return line.Trim();
    }
}

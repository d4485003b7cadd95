using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Cli;

/// <summary>
/// The built ferry program as a process (in CI the Native AOT binary, <see cref="CliBinary"/>): the paths that
/// trimming or AOT could break — JSON contracts, TLS with the key login, process spawning, file listing — work.
/// </summary>
public class NativeBinaryTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public void CiRunsTheNativeAotBinary()
    {
        if (CliBinary.FromEnvironment is null) return; // a developer's run: the apphost beside the tests is what there is
        var folder = Path.GetDirectoryName(CliBinary.Executable)!;
        Assert.True(File.Exists(CliBinary.Executable), $"FERRY_CLI names {CliBinary.Executable}, which does not exist");
        Assert.False(File.Exists(Path.Combine(folder, "Ferry.Cli.dll")), "FERRY_CLI is a managed build, not the Native AOT binary");
        Assert.Equal("aot", File.ReadAllText(Path.Combine(folder, ".build-kind")).Trim());
    }

    [Fact]
    public async Task VersionAndSubnetAnswer()
    {
        var home = TempDirectory.Create("ferry-home");
        var version = await CliBinary.RunAsync(["--version"], home, Deadline);
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.StdOut);
        var subnet = await CliBinary.RunAsync(["subnet", "10.0.0.1/24", "--json"], home, Deadline);
        Assert.True(subnet.ExitCode == 0, subnet.StdErr);
        using var json = JsonDocument.Parse(subnet.StdOut);
        Assert.Contains("10.0.0.0", subnet.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EchoExecAndLsOverTlsWithTheKey()
    {
        await using var server = await TestServer.StartAsync(o => o.Exec.Enabled = true);
        var home = TempDirectory.Create("ferry-home");
        var target = $"127.0.0.1:{server.EndPoint.Port}";
        var echo = await CliBinary.RunAsync(["echo", target, "hello", "aot", .. server.ClientArgs], home, Deadline);
        Assert.True(echo.ExitCode == 0, echo.StdErr);
        Assert.Equal("hello aot\n", echo.StdOut);

        var exec = await CliBinary.RunAsync(["exec", target, .. server.ClientArgs, "--", "sh", "-c", "echo out; exit 7"], home, Deadline);
        Assert.Equal(7, exec.ExitCode);
        Assert.Equal("out\n", exec.StdOut);

        var put = await CliBinary.RunAsync(["put", target, CliBinary.Executable, "--to", "bin/", .. server.ClientArgs], home, TimeSpan.FromSeconds(60));
        Assert.True(put.ExitCode == 0, put.StdErr);
        var ls = await CliBinary.RunAsync(["ls", target, "bin", "--json", .. server.ClientArgs], home, Deadline);
        Assert.True(ls.ExitCode == 0, ls.StdErr);
        using var listing = JsonDocument.Parse(ls.StdOut);
        Assert.Contains(Path.GetFileName(CliBinary.Executable), ls.StdOut, StringComparison.Ordinal);
        Assert.Contains(new FileInfo(CliBinary.Executable).Length.ToString(System.Globalization.CultureInfo.InvariantCulture), ls.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ItsOwnServerAnswersItsOwnClient()
    {
        if (OperatingSystem.IsWindows()) return; // SIGTERM is a Unix notion
        var home = TempDirectory.Create("ferry-home");
        var info = new ProcessStartInfo(CliBinary.Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "serve", "--listen", "127.0.0.1:0", "--allow-exec" }) info.ArgumentList.Add(arg);
        info.Environment["FERRY_HOME"] = home;
        using var process = Process.Start(info)!;
        try
        {
            using var cts = new CancellationTokenSource(Deadline);
            int port = 0;
            while (await process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
            {
                if (Regex.Match(line, @"listening on 127\.0\.0\.1:(\d+)") is { Success: true } match)
                {
                    port = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                }
            }
            Assert.True(port > 0, "serve did not print its address");
            // Same FERRY_HOME: the client finds the key and recognises its own server's certificate.
            var echo = await CliBinary.RunAsync(["echo", $"127.0.0.1:{port}", "hi"], home, Deadline);
            Assert.True(echo.ExitCode == 0, echo.StdErr);
            Assert.Equal("hi\n", echo.StdOut);
            var exec = await CliBinary.RunAsync(["exec", $"127.0.0.1:{port}", "--", "true"], home, Deadline);
            Assert.True(exec.ExitCode == 0, exec.StdErr);

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill!.WaitForExitAsync(cts.Token);
            await process.WaitForExitAsync(cts.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            TempDirectory.TryDelete(home);
        }
    }

    [Fact]
    public async Task AClientNeverReadsTheSystemCaStore()
    {
        // Trust is by fingerprint; loading /etc/ssl/certs cost a fresh client ~100 ms (SystemTrustStore).
        Assert.True(ProcessRunner.Exists("strace"), "strace is missing: run tests/install-peers.sh");
        await using var server = await TestServer.StartAsync();
        var home = TempDirectory.Create("ferry-home");
        var trace = Path.Combine(home, "trace.txt");
        var run = await ProcessRunner.RunAsync("strace", ["-f", "-e", "trace=openat,open,stat,newfstatat", "-o", trace,
            CliBinary.Executable, "echo", $"127.0.0.1:{server.EndPoint.Port}", "hi", .. server.ClientArgs], Deadline,
            environment: new Dictionary<string, string> { ["FERRY_HOME"] = home });
        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.Equal("hi\n", run.StdOut);
        var opened = File.ReadAllLines(trace).Where(l => l.Contains("/etc/ssl/certs", StringComparison.Ordinal)).ToList();
        Assert.True(opened.Count == 0, $"the client read the system CA store:\n{string.Join('\n', opened.Take(3))}");
    }

    [Fact]
    public async Task SkippingTheCaStoreLeavesChildProcessesTheirEnvironment()
    {
        string Show(string? value) => value ?? "unset";
        var before = $"{Show(Environment.GetEnvironmentVariable("SSL_CERT_FILE"))}|{Show(Environment.GetEnvironmentVariable("SSL_CERT_DIR"))}";
        Ferry.Cli.Infrastructure.SystemTrustStore.SkipLoading();
        Assert.Equal(before, $"{Show(Environment.GetEnvironmentVariable("SSL_CERT_FILE"))}|{Show(Environment.GetEnvironmentVariable("SSL_CERT_DIR"))}");
        var child = await ProcessRunner.RunAsync("sh", ["-c", "printf '%s|%s' \"${SSL_CERT_FILE-unset}\" \"${SSL_CERT_DIR-unset}\""], Deadline);
        Assert.Equal(before, child.StdOut);
    }
}

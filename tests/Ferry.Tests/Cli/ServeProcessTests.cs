using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ferry.Client;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Cli;

/// <summary>The real <c>ferry serve</c> process: banner, serving, and a clean exit on SIGTERM.</summary>
public class ServeProcessTests
{
    [Fact]
    public async Task ServeStartsPrintsWhereItListensAndStopsCleanlyOnSigterm()
    {
        if (OperatingSystem.IsWindows()) return; // SIGTERM is a Unix notion; Windows uses Ctrl+C events
        var home = TempDirectory.Create("ferry-home");
        var cli = Path.Combine(AppContext.BaseDirectory, "Ferry.Cli.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { cli, "serve", "--listen", "127.0.0.1:0", "--plaintext" }) info.ArgumentList.Add(arg);
        info.Environment["FERRY_HOME"] = home;
        using var process = Process.Start(info)!;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            string? line;
            int port = 0;
            while ((line = await process.StandardOutput.ReadLineAsync(cts.Token)) is not null)
            {
                var match = Regex.Match(line, @"listening on 127\.0\.0\.1:(\d+)");
                if (match.Success)
                {
                    port = int.Parse(match.Groups[1].Value);
                    break;
                }
            }
            Assert.True(port > 0, "serve did not print its address");
            Assert.True(Directory.Exists(home));

            var options = new FerryClientOptions(new FerryTarget("127.0.0.1", port)) { Plaintext = true, KeyFile = Path.Combine(home, "key") };
            await using (var client = await FerryClient.ConnectAsync(options))
            {
                Assert.Equal("hi"u8.ToArray(), await client.EchoAsync("hi"u8.ToArray()));
            }

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill!.WaitForExitAsync(cts.Token);
            await process.WaitForExitAsync(cts.Token);
            Assert.Equal(0, process.ExitCode);
            var stderr = await process.StandardError.ReadToEndAsync(cts.Token);
            Assert.Contains("stopped", stderr);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            TempDirectory.TryDelete(home);
        }
    }

    [Fact]
    public async Task Issue13_TheBannerSaysWhatTheServerRunsAndTheJsonLineHasTheRealPorts()
    {
        if (OperatingSystem.IsWindows()) return;
        var home = TempDirectory.Create("ferry-home");
        try
        {
            await using var serve = ServeProcess.Start(home, "--listen", "127.0.0.1:0", "--plaintext", "--allow-exec", "--ntp", "0",
                "--udp-chat", "0", "--tcp-echo", "0", "--udp-echo", "0", "--json");
            using var doc = JsonDocument.Parse(await serve.ReadLineAsync());
            var r = doc.RootElement;
            Assert.Matches(@"^127\.0\.0\.1:[1-9]\d*$", Assert.Single(r.GetProperty("listening").EnumerateArray()).GetString());
            Assert.False(r.GetProperty("tls").GetBoolean());
            Assert.True(r.GetProperty("exec").GetProperty("enabled").GetBoolean());
            Assert.Equal(Path.Combine(home, "home"), r.GetProperty("exec").GetProperty("directory").GetString());
            Assert.Equal(Path.Combine(home, "files"), r.GetProperty("files").GetProperty("root").GetString());
            foreach (var side in new[] { "ntp", "udpChat", "tcpEcho", "udpEcho" })
            {
                Assert.Matches(@"^127\.0\.0\.1:[1-9]\d*$", r.GetProperty(side).GetString());
            }
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", r.GetProperty("startedAt").GetString()!);
            OutputTests.AssertCamelCase(r);
        }
        finally
        {
            TempDirectory.TryDelete(home);
        }

        home = TempDirectory.Create("ferry-home");
        try
        {
            await using var serve = ServeProcess.Start(home, "--listen", "127.0.0.1:0");
            var banner = new List<string>();
            while (await serve.ReadLineAsync() is var line && line != "Press Ctrl+C to stop.") banner.Add(line);
            var text = string.Join("\n", banner);
            Assert.Matches(@"listening on 127\.0\.0\.1:\d+ \(TLS\)", text);
            Assert.Contains("  certificate:  SHA256:", text);
            Assert.Contains("  exec:         off (--allow-exec turns it on)", text);
            Assert.Contains($"  files:        root {Path.Combine(home, "files")}", text);
            Assert.Contains("  NTP (SNTP):   off", text);
            Assert.Contains("  UDP chat:     off", text);
            Assert.Contains("  raw TCP echo: off", text);
            Assert.Contains("  raw UDP echo: off", text);
        }
        finally
        {
            TempDirectory.TryDelete(home);
        }
    }

    [Fact]
    public async Task Issue13_LoginsFailedLoginsAndEveryExecAreLoggedByDefaultWithoutThePassword()
    {
        if (OperatingSystem.IsWindows()) return;
        var home = TempDirectory.Create("ferry-home");
        try
        {
            new Ferry.Security.Accounts.UserStore(Path.Combine(home, "users.json")).Add("ann", "right-horse-battery", ["exec"], iterations: 4096);
            await using var serve = ServeProcess.Start(home, "--listen", "127.0.0.1:0", "--plaintext", "--allow-exec");
            int port = await serve.PortAsync();
            var options = new FerryClientOptions(new FerryTarget("127.0.0.1", port)) { Plaintext = true, User = "ann", Password = "wrong-staple-guess" };
            await Assert.ThrowsAnyAsync<Exception>(async () => await (await FerryClient.ConnectAsync(options)).DisposeAsync());
            options.Password = "right-horse-battery";
            await using (var client = await FerryClient.ConnectAsync(options))
            {
                var exit = await client.ExecAsync(new RemoteCommand("echo audited; exit 3"));
                Assert.Equal(3, exit.ExitCode);
            }
            var log = await serve.StopAsync();
            Assert.Matches(@"Failed scram-sha-256 login from 127\.0\.0\.1 as 'ann': wrong password", log);
            Assert.Matches(@"Login: 127\.0\.0\.1 authenticated as 'ann' by scram-sha-256", log);
            Assert.Matches(@"Exec started by 'ann' from 127\.0\.0\.1 \(request \d+\): echo audited; exit 3", log);
            Assert.Matches(@"Exec ended for 'ann' from 127\.0\.0\.1 \(request \d+\): exit code 3 after [\d.]+ s: echo audited; exit 3", log);
            Assert.DoesNotContain("right-horse-battery", log);
            Assert.DoesNotContain("wrong-staple-guess", log);
        }
        finally
        {
            TempDirectory.TryDelete(home);
        }
    }

    /// <summary>A real <c>ferry serve</c> child process; stdout read line by line, stderr collected, stopped with SIGTERM.</summary>
    private sealed class ServeProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Task<string> _stderr;
        private readonly CancellationTokenSource _deadline = new(TimeSpan.FromSeconds(90));

        private ServeProcess(Process process)
        {
            _process = process;
            _stderr = process.StandardError.ReadToEndAsync(_deadline.Token);
        }

        public static ServeProcess Start(string home, params string[] args)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Ferry.Cli.dll"));
            info.ArgumentList.Add("serve");
            foreach (var arg in args) info.ArgumentList.Add(arg);
            info.Environment["FERRY_HOME"] = home;
            return new ServeProcess(Process.Start(info)!);
        }

        public async Task<string> ReadLineAsync() =>
            await _process.StandardOutput.ReadLineAsync(_deadline.Token) ?? throw new EndOfStreamException("serve ended: " + await _stderr);

        public async Task<int> PortAsync()
        {
            while (true)
            {
                var match = Regex.Match(await ReadLineAsync(), @"listening on 127\.0\.0\.1:(\d+)");
                if (match.Success) return int.Parse(match.Groups[1].Value);
            }
        }

        /// <summary>SIGTERM, wait for the exit, and return everything the server logged.</summary>
        public async Task<string> StopAsync()
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) await kill!.WaitForExitAsync(_deadline.Token);
            await _process.WaitForExitAsync(_deadline.Token);
            return await _stderr;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
            _process.Dispose();
            _deadline.Dispose();
        }
    }
}

using System.Diagnostics;
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
}

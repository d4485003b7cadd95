using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Ferry.Client;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Exec;

/// <summary>Runs a real <c>ferry serve</c> process, so its memory can be read from /proc while a client reads slowly.</summary>
public partial class ExecMemoryTests
{
    [Fact]
    public async Task HundredMebibytesToASlowReaderKeepServerMemoryBounded()
    {
        var state = TempDirectory.Create("ferry-exec-mem");
        var cli = Path.Combine(AppContext.BaseDirectory, "Ferry.Cli.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { cli, "serve", "--listen", "127.0.0.1:0", "--plaintext", "--allow-exec", "--data", state }) info.ArgumentList.Add(arg);
        using var server = Process.Start(info)!;
        try
        {
            int port = await ReadPortAsync(server).WaitAsync(TimeSpan.FromSeconds(60));
            await using var client = await FerryClient.ConnectAsync(new FerryClientOptions(new FerryTarget("127.0.0.1", port)) { Plaintext = true, KeyFile = Path.Combine(state, "key") });
            // Warm up, then take the baseline.
            Assert.Equal(0, (await client.ExecAsync("head -c 4000000 /dev/zero > /dev/null")).ExitCode);
            long baseline = Rss(server.Id);
            long peak = baseline;
            long received = 0;
            const long total = 100L * 1024 * 1024;
            var exit = await client.ExecAsync(new RemoteCommand($"head -c {total} /dev/zero")
            {
                OnStandardOutput = async (data, ct) =>
                {
                    long before = received;
                    received += data.Length;
                    // Slow reader: about 1 ms per 64 KiB, far slower than the command could print.
                    if (before / 65536 != received / 65536)
                    {
                        peak = Math.Max(peak, Rss(server.Id));
                        await Task.Delay(1, ct);
                    }
                },
            }).WaitAsync(TimeSpan.FromSeconds(300));
            Assert.Equal(0, exit.ExitCode);
            Assert.Equal(total, received);
            Assert.True(peak - baseline < 32 * 1024 * 1024, $"server RSS grew from {baseline / 1024} KiB to {peak / 1024} KiB while streaming 100 MiB");
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            TempDirectory.TryDelete(state);
        }
    }

    private static async Task<int> ReadPortAsync(Process server)
    {
        while (await server.StandardOutput.ReadLineAsync() is { } line)
        {
            var match = ListeningLine().Match(line);
            if (match.Success) return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("ferry serve ended without listening: " + await server.StandardError.ReadToEndAsync());
    }

    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException("no VmRSS");
    }

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}

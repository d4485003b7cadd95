using System.Text.Json;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Bench;

/// <summary>
/// bench/soak.py in its short mode: every service and every hostile client against one real `ferry serve` for a few
/// seconds, so the hour-long soak in docs/performance.md stays runnable. It must pass its own checks (no legitimate
/// request failed, no long-lived connection lost, the server alive and serving), sample the server, and leave
/// nothing running.
/// </summary>
public sealed class SoakScriptTests : IDisposable
{
    private readonly string _out = TempDirectory.Create("ferry-soak");

    public void Dispose() => TempDirectory.TryDelete(_out);

    [Fact]
    public async Task ShortSoakRunsEveryServiceAndHostileClientAndCleansUp()
    {
        var home = Path.Combine(_out, "home");
        var (code, stdout, stderr) = await ProcessRunner.RunAsync("python3",
            [RepoPaths.Of("bench", "soak.py"), "--duration", "12", "--port", "0", "--interval", "2", "--out", _out, "--home", home,
                "--ferry", CliBinary.Executable, "--echo-connections", "2"],
            TimeSpan.FromSeconds(150));
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "summary.json")));
        var root = summary.RootElement;
        Assert.True(root.GetProperty("server_alive_at_end").GetBoolean());
        Assert.True(root.GetProperty("final_fresh_echo_ok").GetBoolean());
        Assert.Equal(0, root.GetProperty("lost_connections").GetArrayLength());
        var requests = root.GetProperty("requests");
        foreach (var service in new[] { "echo", "exec", "files put", "files get", "chat tcp", "chat udp", "sntp", "stats" })
        {
            Assert.True(requests.TryGetProperty(service, out var n) && n.GetInt32() > 0, $"no '{service}' request succeeded:\n{stdout}");
        }
        foreach (var hostile in new[] { "garbage before login", "garbage after login", "connection flood", "bad key", "bad scram", "udp garbage" })
        {
            Assert.True(root.GetProperty("hostile_runs").TryGetProperty(hostile, out var n) && n.GetInt32() > 0, $"no '{hostile}' run:\n{stdout}");
        }
        Assert.True(root.GetProperty("rss_kib").GetProperty("max").GetInt64() > 0);
        var samples = await File.ReadAllLinesAsync(Path.Combine(_out, "samples.csv"));
        Assert.True(samples.Length >= 4, string.Join("\n", samples)); // a header and a sample every 2 s

        // Nothing it started outlives it: no process still names its output folder (the server, the clients, soak.py).
        var leftovers = Directory.EnumerateDirectories("/proc").Select(d => Path.Combine(d, "cmdline"))
            .Where(path => { try { return File.ReadAllText(path).Contains(_out, StringComparison.Ordinal); } catch (IOException) { return false; } catch (UnauthorizedAccessException) { return false; } })
            .ToList();
        Assert.True(leftovers.Count == 0, "still running: " + string.Join(", ", leftovers));
    }
}

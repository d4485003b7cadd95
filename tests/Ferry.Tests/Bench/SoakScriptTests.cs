using System.Text.Json;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Bench;

/// <summary>
/// bench/soak.py in its short mode: every service and every hostile client against one real `ferry serve` for 20
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
            [RepoPaths.Of("bench", "soak.py"), "--duration", "20", "--port", "0", "--interval", "2", "--out", _out, "--home", home,
                "--ferry", CliBinary.Executable, "--echo-connections", "2"],
            TimeSpan.FromSeconds(150));
        var summaryFile = Path.Combine(_out, "summary.json");
        Assert.True(File.Exists(summaryFile), $"exit {code}, no summary\n{stdout}\n{stderr}");
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(summaryFile));
        var root = summary.RootElement;
        // The script's own verdict (exit 0) asks for no error at all, which is what the hour-long soak must show. On a
        // machine shared with other builds a CLI client can miss its 10 s handshake budget, so here a few are let pass.
        int errors = root.GetProperty("errors").EnumerateObject().Sum(e => e.Value.GetInt32());
        int succeeded = root.GetProperty("requests").EnumerateObject().Sum(e => e.Value.GetInt32());
        Assert.True(code == 0 || errors <= 5 + succeeded / 5, $"exit {code}, {errors} failed requests\n{stdout}\n{stderr}");
        Assert.Empty(root.GetProperty("hostile_surprises").EnumerateObject());
        Assert.True(root.GetProperty("server_alive_at_end").GetBoolean());
        Assert.True(root.GetProperty("final_fresh_echo_ok").GetBoolean());
        Assert.Equal(0, root.GetProperty("lost_connections").GetArrayLength());
        // Every service was driven (a success or a counted failure); most got through even on a loaded machine.
        var requests = root.GetProperty("requests");
        var failures = root.GetProperty("errors");
        string[] services = ["echo", "exec", "files put", "files get", "chat tcp", "chat udp", "sntp", "stats"];
        foreach (var service in services)
        {
            Assert.True(requests.TryGetProperty(service, out _) || failures.TryGetProperty(service, out _), $"'{service}' never ran:\n{stdout}");
        }
        Assert.True(requests.GetProperty("echo").GetInt32() > 0, stdout);
        Assert.True(services.Count(s => requests.TryGetProperty(s, out var n) && n.GetInt32() > 0) >= services.Length / 2, stdout);
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

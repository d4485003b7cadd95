using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Chat.Redis;

/// <summary>Faults with real processes: a server killed with SIGKILL, Redis stopped and started again, Redis absent at start.</summary>
public partial class RedisChatFaultTests
{
    [Fact]
    public async Task AKilledServersMembersAreAnnouncedAsLeftWithinTwoHeartbeatsAndTheirNicksAreFree()
    {
        await using var redis = await RedisProcess.StartAsync();
        await using var b = await RedisChatTests.StartServerAsync(redis);
        var bea = await RedisChatTests.JoinAsync(b, "bea");
        var state = TempDirectory.Create("ferry-redis-kill");
        using var killed = StartServe(state, "--chat-redis", redis.Address, "--chat-redis-heartbeat", "1");
        try
        {
            int port = await ReadPortAsync(killed).WaitAsync(TimeSpan.FromSeconds(60));
            var client = await FerryClient.ConnectAsync(new FerryClientOptions(new FerryTarget("127.0.0.1", port)) { Plaintext = true, KeyFile = Path.Combine(state, "key"), StateDirectory = state });
            await using var _ = client;
            await client.JoinChatAsync("lobby", "carl");
            await bea.Events.WaitForAsync(events => events.Any(e => e.Kind == "join" && e.From == "carl"));

            var stopwatch = Stopwatch.StartNew();
            killed.Kill(); // SIGKILL: no goodbye, no cleanup
            var seen = await bea.Events.WaitForAsync(events => events.Any(e => e.Kind == "leave" && e.From == "carl"), seconds: 15);
            var elapsed = stopwatch.Elapsed;
            Assert.Equal("server lost", seen.Last(e => e.Kind == "leave" && e.From == "carl").Reason);
            // Heartbeat 1 s, time-to-live 2 s: two beats and a sweep, well inside 10 s.
            Assert.True(elapsed < TimeSpan.FromSeconds(10), $"announced after {elapsed.TotalSeconds:0.0} s");
            Assert.DoesNotContain("carl", await bea.Session.WhoAsync());
            var carl = await RedisChatTests.JoinAsync(b, "carl");
            Assert.Equal("carl", carl.Session.Nick);
        }
        finally
        {
            if (!killed.HasExited) killed.Kill(entireProcessTree: true);
            await killed.WaitForExitAsync();
            TempDirectory.TryDelete(state);
        }
    }

    [Fact]
    public async Task WhileRedisIsDownSendsAreRefusedAndAfterItReturnsOrderAndHistoryAreIntact()
    {
        await using var redis = await RedisProcess.StartAsync(persist: true);
        await using var a = await RedisChatTests.StartServerAsync(redis);
        await using var b = await RedisChatTests.StartServerAsync(redis);
        var ann = await RedisChatTests.JoinAsync(a, "ann");
        var bob = await RedisChatTests.JoinAsync(b, "bob");
        for (int i = 1; i <= 3; i++) await ann.Session.SayAsync($"m{i}");
        await bob.Events.WaitForMessagesAsync(3);

        await redis.StopAsync();
        await ann.Events.WaitForAsync(events => events.Any(e => e.Kind == "degraded"));
        var refused = await Assert.ThrowsAsync<FerryException>(() => ann.Session.SayAsync("lost?"));
        Assert.Equal(ProtocolError.Busy, refused.Error);
        Assert.Contains("chat backend (Redis)", refused.Message, StringComparison.Ordinal);
        // The server keeps serving what does not need Redis.
        Assert.Equal("ping"u8.ToArray(), await (await a.ConnectAsync()).EchoAsync("ping"u8.ToArray()));

        await redis.StartAgainAsync();
        await ann.Events.WaitForAsync(events => events.Any(e => e.Kind == "recovered"), seconds: 60);
        long seq = 0;
        // The first send after the reconnect may still race the interactive connection's own recovery.
        for (int attempt = 0; seq == 0; attempt++)
        {
            try
            {
                seq = await ann.Session.SayAsync("m4");
            }
            catch (FerryException ex) when (ex.Error == ProtocolError.Busy && attempt < 100)
            {
                await Task.Delay(100);
            }
        }
        Assert.Equal(4, seq);
        var seen = await bob.Events.WaitForMessagesAsync(4, seconds: 30);
        Assert.Equal(["m1", "m2", "m3", "m4"], seen.Where(e => e.Kind == "message" && !e.History).Select(e => e.Text));
        var late = await RedisChatTests.JoinAsync(b, "cid");
        var history = await late.Events.WaitForAsync(events => events.Count(e => e.History) >= 4);
        Assert.Equal(["m1", "m2", "m3", "m4"], history.Where(e => e.History).Select(e => e.Text));
    }

    [Fact]
    public async Task ServeRefusesToStartWhenRedisDoesNotAnswerAndNamesTheAddress()
    {
        var state = TempDirectory.Create("ferry-redis-absent");
        try
        {
            int port;
            using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
            }
            using var serve = StartServe(state, "--chat-redis", $"redis://:secret@127.0.0.1:{port}");
            var stderr = serve.StandardError.ReadToEndAsync();
            await serve.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(1, serve.ExitCode);
            var text = await stderr;
            Assert.Contains($"redis://:***@127.0.0.1:{port}", text, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
            Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("Redis", StringComparison.Ordinal));
        }
        finally
        {
            TempDirectory.TryDelete(state);
        }
    }

    internal static Process StartServe(string state, params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Ferry.Cli.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { cli, "serve", "--listen", "127.0.0.1:0", "--plaintext", "--data", state }.Concat(args)) info.ArgumentList.Add(arg);
        info.Environment["FERRY_HOME"] = state;
        return Process.Start(info)!;
    }

    internal static async Task<int> ReadPortAsync(Process server)
    {
        while (await server.StandardOutput.ReadLineAsync() is { } line)
        {
            var match = ListeningLine().Match(line);
            if (match.Success) return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("ferry serve ended without listening: " + await server.StandardError.ReadToEndAsync());
    }

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}

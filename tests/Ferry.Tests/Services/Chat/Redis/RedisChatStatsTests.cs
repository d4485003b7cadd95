using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ferry.Client;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Chat.Redis;

/// <summary><c>ferry stats</c> shows the chat's servers when it is shared through Redis (issue #20): real processes, real Redis.</summary>
public class RedisChatStatsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task StatsListsEveryServerWithItsMembersAndHeartbeatAndForgetsAKilledOne()
    {
        await using var redis = await RedisProcess.StartAsync();
        var stateA = TempDirectory.Create("ferry-stats-a");
        var stateB = TempDirectory.Create("ferry-stats-b");
        using var a = RedisChatFaultTests.StartServe(stateA, "--chat-redis", redis.Address, "--chat-redis-heartbeat", "0.3");
        using var b = RedisChatFaultTests.StartServe(stateB, "--chat-redis", redis.Address, "--chat-redis-heartbeat", "0.3");
        var clients = new List<FerryClient>();
        try
        {
            int portA = await RedisChatFaultTests.ReadPortAsync(a).WaitAsync(Deadline);
            int portB = await RedisChatFaultTests.ReadPortAsync(b).WaitAsync(Deadline);
            async Task JoinAsync(string state, int port, string nick, string room)
            {
                var client = await FerryClient.ConnectAsync(new FerryClientOptions(new FerryTarget("127.0.0.1", port))
                {
                    Plaintext = true,
                    KeyFile = Path.Combine(state, "key"),
                    StateDirectory = state,
                });
                clients.Add(client);
                await client.JoinChatAsync(room, nick);
            }
            await JoinAsync(stateA, portA, "ann", "lobby");
            await JoinAsync(stateB, portB, "bob", "lobby");
            await JoinAsync(stateB, portB, "cid", "kitchen");
            string[] statsA = ["stats", $"127.0.0.1:{portA.ToString(CultureInfo.InvariantCulture)}", "--plaintext", "--key-file", Path.Combine(stateA, "key")];

            // Both servers beat every 0.3 s with their member counts: wait for the beats that carry the joins.
            var cluster = await WaitForClusterAsync(statsA, stateA, c => Servers(c).Count(s => s.GetProperty("alive").GetBoolean()) == 2
                && Servers(c).Select(s => s.GetProperty("members")).All(m => m.ValueKind == JsonValueKind.Number)
                && Servers(c).Sum(s => s.GetProperty("members").GetInt32()) == 3);
            Assert.Equal($"Redis at {redis.Address}", cluster.GetProperty("sharedThrough").GetString());
            Assert.Equal(2, cluster.GetProperty("rooms").GetInt32());
            Assert.False(cluster.GetProperty("degraded").GetBoolean());
            Assert.True(cluster.GetProperty("redisRoundTripMillis").GetDouble() > 0);
            var self = Assert.Single(Servers(cluster), s => s.GetProperty("this").GetBoolean());
            Assert.Equal(cluster.GetProperty("serverId").GetString(), self.GetProperty("id").GetString());
            Assert.Equal(1, self.GetProperty("members").GetInt32());
            var other = Assert.Single(Servers(cluster), s => !s.GetProperty("this").GetBoolean());
            Assert.Equal(2, other.GetProperty("members").GetInt32());
            Assert.InRange(other.GetProperty("heartbeatAgeMillis").GetInt64(), 0, 10_000);

            // The table a person reads.
            var (code, table, stderr) = await CliBinary.RunAsync(statsA, stateA, Deadline);
            Assert.True(code == 0, stderr + table);
            Assert.Contains("chat server", table, StringComparison.Ordinal);
            Assert.Contains("shared through", table, StringComparison.Ordinal);
            Assert.Contains($"Redis at {redis.Address}", table, StringComparison.Ordinal);
            Assert.Contains(self.GetProperty("id").GetString()!, table, StringComparison.Ordinal);
            Assert.Contains(other.GetProperty("id").GetString()!, table, StringComparison.Ordinal);
            Assert.Contains("this one", table, StringComparison.Ordinal);
            Assert.Contains("2 alive", table, StringComparison.Ordinal);
            Assert.Contains("Redis round trip", table, StringComparison.Ordinal);

            // A server killed without a goodbye is swept by the other's heartbeat and no longer listed.
            b.Kill();
            cluster = await WaitForClusterAsync(statsA, stateA, c => Servers(c).Count() == 1);
            Assert.True(Assert.Single(Servers(cluster)).GetProperty("this").GetBoolean());
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
            foreach (var server in new[] { a, b })
            {
                if (!server.HasExited) server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
            TempDirectory.TryDelete(stateA);
            TempDirectory.TryDelete(stateB);
        }
    }

    [Fact]
    public async Task StatsOfAnInProcessChatHasNoClusterSection()
    {
        await using var server = await TestServer.StartAsync();
        var result = await CliHarness.RunAsync(["stats", $"127.0.0.1:{server.EndPoint.Port}", .. server.ClientArgs, "--json"]);
        Assert.True(result.ExitCode == 0, result.StdErr);
        using var doc = JsonDocument.Parse(result.StdOut);
        Assert.False(doc.RootElement.TryGetProperty("chatCluster", out _));
    }

    [Fact]
    public async Task TamperedPresenceInRedisIsShownAsUnknownAndStatsKeepsAnswering()
    {
        await using var redis = await RedisProcess.StartAsync();
        await using var server = await RedisChatTests.StartServerAsync(redis);
        var admin = await redis.AdminAsync();
        // Someone else with access to the Redis: a server id that is no id, a presence value that says nothing.
        await admin.SetAddAsync("ferry:chat:servers", ["not an id!{}", "zzz"]);
        await admin.StringSetAsync("ferry:chat:s:zzz:alive", new string('x', 100_000));
        var client = await server.ConnectAsync();
        var stats = await client.GetStatsAsync();
        var cluster = Assert.IsType<Ferry.Contracts.Stats.StatsChatCluster>(stats.ChatCluster);
        Assert.Null(cluster.Error);
        Assert.DoesNotContain(cluster.Servers, s => s.Id.Contains(' ', StringComparison.Ordinal));
        var zzz = Assert.Single(cluster.Servers, s => s.Id == "zzz");
        Assert.True(zzz.Alive);
        Assert.Null(zzz.Members);
        Assert.Null(zzz.HeartbeatAgeMillis);
        Assert.Contains(cluster.Servers, s => s.This);
        // And it keeps serving.
        Assert.Equal("ping"u8.ToArray(), await client.EchoAsync("ping"u8.ToArray()));
    }

    private static IEnumerable<JsonElement> Servers(JsonElement cluster) => cluster.GetProperty("servers").EnumerateArray();

    private static async Task<JsonElement> WaitForClusterAsync(string[] stats, string home, Func<JsonElement, bool> done)
    {
        var stopwatch = Stopwatch.StartNew();
        string last = "";
        while (stopwatch.Elapsed < Deadline)
        {
            var (code, stdout, stderr) = await CliBinary.RunAsync([.. stats, "--json"], home, Deadline);
            Assert.True(code == 0, stderr + stdout);
            last = stdout;
            using var doc = JsonDocument.Parse(stdout);
            var cluster = doc.RootElement.GetProperty("chatCluster").Clone();
            if (done(cluster)) return cluster;
        }
        throw new TimeoutException("the cluster never looked as expected; last: " + last);
    }
}

using System.Globalization;
using System.Text.Json;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Chat.Redis;

/// <summary><c>ferry bench chat --targets A,B</c>: members and senders spread over two servers of one chat (issue #20).</summary>
public class RedisChatBenchTests
{
    [Fact]
    public async Task BenchChatSpreadsMembersOverTheTargetsAndCountsEveryDeliveryOnce()
    {
        await using var redis = await RedisProcess.StartAsync();
        await using var a = await RedisChatTests.StartServerAsync(redis);
        // One key for both, as the bench script does: one --key-file logs in everywhere.
        await using var b = await RedisChatTests.StartServerAsync(redis, o =>
        {
            Directory.CreateDirectory(o.Server.DataDirectory!);
            File.Copy(a.KeyFile, Path.Combine(o.Server.DataDirectory!, "key"));
        });
        var targets = string.Join(",", new[] { a, b }.Select(s => $"127.0.0.1:{s.EndPoint.Port.ToString(CultureInfo.InvariantCulture)}"));
        var result = await CliHarness.RunAsync(["bench", "chat", "--targets", targets, .. a.ClientArgs,
            "-c", "6", "--rate", "40", "-d", "1", "--warmup", "0.2", "--json"]);
        Assert.True(result.ExitCode == 0, result.StdErr + result.StdOut);
        using var doc = JsonDocument.Parse(result.StdOut);
        var r = doc.RootElement;
        Assert.Equal(targets, r.GetProperty("target").GetString());
        long said = r.GetProperty("said").GetInt64();
        Assert.True(said >= 40, r.ToString());
        Assert.Equal(said, r.GetProperty("acknowledged").GetInt64());
        Assert.Equal(r.GetProperty("messages").GetInt64() * 6, r.GetProperty("deliveries").GetInt64());
        foreach (var counter in new[] { "lost", "duplicated", "duplicatedById", "outOfOrder", "orderDisagreements", "dropped", "errors" })
        {
            Assert.True(r.GetProperty(counter).GetInt64() == 0, $"{counter}: {r}");
        }
        var perTarget = r.GetProperty("targets").EnumerateArray().ToList();
        Assert.Equal(2, perTarget.Count);
        Assert.All(perTarget, t => Assert.Equal(3, t.GetProperty("members").GetInt32()));
        Assert.Equal(r.GetProperty("deliveries").GetInt64(), perTarget.Sum(t => t.GetProperty("deliveries").GetInt64()));
    }

    [Fact]
    public async Task BenchChatWithoutAnyTargetSaysHowToNameOne()
    {
        var result = await CliHarness.RunAsync(["bench", "chat", "--plaintext", "-c", "2"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--targets", result.StdErr, StringComparison.Ordinal);
    }
}

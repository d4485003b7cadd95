using Ferry.Client;
using Ferry.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Ferry.Tests.Services.Chat.Redis;

/// <summary>
/// What a server reads back from Redis is hostile input (anyone with access to the Redis can write it): tampered log
/// entries and huge fields are refused with one bounded, escaped log line, and the chat goes on (issue #20).
/// </summary>
public class RedisChatHostileTests
{
    [Fact]
    public async Task TamperedAndHugeLogEntriesAreSkippedWithAClearLogLineAndTheRoomGoesOn()
    {
        var log = new CapturingLoggerProvider();
        await using var redis = await RedisProcess.StartAsync();
        await using var a = await RedisChatTests.StartServerAsync(redis, build: b => b.ConfigureLogging(l => l.AddProvider(log)));
        await using var b = await RedisChatTests.StartServerAsync(redis);
        var ann = await RedisChatTests.JoinAsync(a, "ann");
        var bob = await RedisChatTests.JoinAsync(b, "bob");
        Assert.Equal(1, await ann.Session.SayAsync("one"));
        await bob.Events.WaitForMessagesAsync(1);

        // Someone else writes the room's log: seq 2 with a nick holding a terminal escape, seq 3 with a 5 MB text,
        // the counter moved past them, and a notice so every server goes to read them.
        var db = await redis.AdminAsync();
        const string p = "ferry:chat:r:{lobby}:";
        await db.StreamAddAsync(p + "log", "m", "{\"room\":\"lobby\",\"from\":\"evil\\u001b[2J\",\"time\":1,\"text\":\"x\"}", "2-0");
        await db.StreamAddAsync(p + "log", "m", "{\"room\":\"lobby\",\"from\":\"ann\",\"time\":1,\"text\":\"" + new string('A', 5_000_000) + "\"}", "3-0");
        await db.StringSetAsync(p + "seq", "3");
        var epoch = (string?)await db.StringGetAsync(p + "epoch");
        var events = StackExchange.Redis.RedisChannel.Literal("ferry:chat:events");
        await db.PublishAsync(events, $"m lobby 3 {epoch} {{}}");
        // And a notice far larger than any message could be.
        await db.PublishAsync(events, "m lobby 4 " + epoch + " " + new string('B', 5_000_000));

        // The room goes on at seq 4, and nobody saw what was forged.
        Assert.Equal(4, await bob.Session.SayAsync("four"));
        foreach (var member in new[] { ann, bob })
        {
            var seen = (await member.Events.WaitForAsync(e => e.Any(x => x is { Kind: "message", Text: "four" }))).Where(e => e.Kind == "message").ToList();
            Assert.Equal(["one", "four"], seen.Select(e => e.Text));
            Assert.Equal([1L, 4L], seen.Select(e => e.Seq));
        }

        // One clear line for each refused entry, bounded and escaped, on the server that read them.
        var refused = log.Lines.Where(l => l.Contains("Chat ignored a log entry from Redis that does not check out", StringComparison.Ordinal)).ToList();
        Assert.True(refused.Count >= 2, log.All);
        Assert.All(log.Lines, l => Assert.True(l.Length < 1000, $"a log line of {l.Length} characters"));
        Assert.DoesNotContain(log.Lines, l => l.Contains('\u001b', StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.Contains("Chat ignored an event from Redis that does not check out", StringComparison.Ordinal));

        // A late joiner's history skips them too, and the server keeps serving.
        var cid = await RedisChatTests.JoinAsync(a, "cid");
        var history = await cid.Events.WaitForAsync(e => e.Count(x => x.History) >= 2);
        Assert.Equal(["one", "four"], history.Where(e => e.History).Select(e => e.Text));
        Assert.Equal("ping"u8.ToArray(), await (await a.ConnectAsync()).EchoAsync("ping"u8.ToArray()));
    }
}

using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Chat.Redis;

/// <summary>A member that stops reading, with the chat shared through Redis (issue #20): dropped from its own server's queue only.</summary>
public class RedisChatSlowMemberTests
{
    [Fact]
    public async Task AStuckMemberIsDroppedByItsOwnServerWhileMembersOnBothServersKeepReceivingInOrder()
    {
        await using var redis = await RedisProcess.StartAsync();
        await using var a = await RedisChatTests.StartServerAsync(redis, o => o.Chat.SendQueueCapacity = 32);
        await using var b = await RedisChatTests.StartServerAsync(redis, o => o.Chat.SendQueueCapacity = 32);
        var ann = await RedisChatTests.JoinAsync(a, "ann");
        var cid = await RedisChatTests.JoinAsync(a, "cid");
        var bob = await RedisChatTests.JoinAsync(b, "bob");

        // A hand-made client on server a that joins and then never reads again, with a tiny receive window.
        await using var stuck = await a.OpenAuthenticatedRawStreamAsync(configureSocket: s => s.ReceiveBufferSize = 4096);
        await stuck.WriteAsync(RawFrames.Frame("""{"type":"chat.join","id":7,"room":"lobby","nick":"stuck"}"""));
        await bob.Events.WaitForAsync(e => e.Any(x => x is { Kind: "join", From: "stuck" }));

        // Said on server b, so what fills the stuck member's queue arrives at server a through Redis.
        var text = new string('w', 4000);
        int sent = 0;
        bool dropped = false;
        while (sent < 20_000 && !dropped)
        {
            await bob.Session.SayAsync(text + sent);
            sent++;
            dropped = ann.Events.Snapshot().Any(e => e is { Kind: "leave", From: "stuck" });
        }
        Assert.True(dropped, $"the stuck member was still in the room after {sent} messages");
        Assert.StartsWith("dropped: not reading fast enough", ann.Events.Snapshot().First(e => e is { Kind: "leave", From: "stuck" }).Reason);
        // The other server hears of it through Redis, with the same reason.
        var onB = await bob.Events.WaitForAsync(e => e.Any(x => x is { Kind: "leave", From: "stuck" }));
        Assert.StartsWith("dropped: not reading fast enough", onB.First(e => e is { Kind: "leave", From: "stuck" }).Reason);

        // Everyone else, on both servers, got every message once, in one order, and keeps receiving.
        await ann.Session.SayAsync("after the drop");
        var expected = Enumerable.Range(0, sent).Select(i => text + i).Append("after the drop").ToList();
        foreach (var member in new[] { ann, cid, bob })
        {
            var seen = (await member.Events.WaitForMessagesAsync(sent + 1, 60)).Where(e => e.Kind == "message" && !e.History).ToList();
            Assert.Equal(expected, seen.Select(e => e.Text));
            Assert.Equal(Enumerable.Range(1, sent + 1).Select(i => (long)i), seen.Select(e => e.Seq));
        }
        Assert.DoesNotContain("stuck", await bob.Session.WhoAsync());

        // Its connection is closed by its server: draining it reaches the end.
        Assert.True(await RawFrames.ReadsToTheEndAsync(stuck, TimeSpan.FromSeconds(30)));

        // The nick is free again on every server.
        var again = await RedisChatTests.JoinAsync(b, "stuck");
        Assert.Equal("stuck", again.Session.Nick);
    }
}

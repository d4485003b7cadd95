using Ferry.Client;
using Ferry.Contracts.Chat;
using Ferry.Protocol;
using Ferry.Services.Chat.Redis;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Chat.Redis;

/// <summary>
/// Several real Ferry servers (port 0) sharing one real <c>redis-server</c>, with real clients: issue #20.
/// </summary>
public class RedisChatTests
{
    internal static Task<TestServer> StartServerAsync(RedisProcess redis, Action<Ferry.Hosting.FerryHostOptions>? configure = null,
        Action<Ferry.Server.FerryServerBuilder>? build = null) =>
        TestServer.StartPlaintextAsync(o =>
        {
            o.UseRedisChat(new RedisChatOptions
            {
                Address = redis.Address,
                HeartbeatInterval = TimeSpan.FromMilliseconds(300),
                HeartbeatTimeToLive = TimeSpan.FromMilliseconds(900),
            });
            configure?.Invoke(o);
        }, build);

    internal static async Task<(ChatSession Session, ChatEventCollector Events)> JoinAsync(TestServer server, string nick, string room = "lobby")
    {
        var client = await server.ConnectAsync();
        var session = await client.JoinChatAsync(room, nick);
        return (session, new ChatEventCollector(session.ReadEventsAsync()) { Session = session });
    }

    [Fact]
    public async Task MembersOnDifferentServersSeeOneOrder()
    {
        await using var redis = await RedisProcess.StartAsync();
        await using var a = await StartServerAsync(redis);
        await using var b = await StartServerAsync(redis);
        await using var c = await StartServerAsync(redis);
        var members = new[] { await JoinAsync(a, "ann"), await JoinAsync(b, "bob"), await JoinAsync(c, "cid") };
        const int perSender = 30;
        await Task.WhenAll(members.Select(m => Task.Run(async () =>
        {
            for (int i = 0; i < perSender; i++) await m.Session.SayAsync($"{m.Session.Nick} #{i}");
        })));
        var seen = new List<List<ChatEvent>>();
        foreach (var m in members)
        {
            var events = await m.Events.WaitForMessagesAsync(3 * perSender);
            seen.Add([.. events.Where(e => e.Kind == "message" && !e.History)]);
        }
        var reference = seen[0].Select(e => e.Text).ToList();
        foreach (var list in seen)
        {
            Assert.Equal(reference, list.Select(e => e.Text).ToList());
            Assert.Equal(Enumerable.Range(1, 3 * perSender).Select(i => (long)i), list.Select(e => e.Seq));
            foreach (var nick in new[] { "ann", "bob", "cid" })
            {
                Assert.Equal(Enumerable.Range(0, perSender).Select(i => $"{nick} #{i}"), list.Where(e => e.From == nick).Select(e => e.Text));
            }
        }
    }

    [Fact]
    public async Task MembersNicksAndPrivateMessagesSpanServers()
    {
        await using var redis = await RedisProcess.StartAsync();
        await using var a = await StartServerAsync(redis);
        await using var b = await StartServerAsync(redis);
        var ann = await JoinAsync(a, "ann");
        var bob = await JoinAsync(b, "bob");

        // bob's join is announced on ann's server, and both servers list both members.
        await ann.Events.WaitForAsync(events => events.Any(e => e.Kind == "join" && e.From == "bob"));
        Assert.Equal(["ann", "bob"], (await ann.Session.WhoAsync()).Order());
        Assert.Equal(["ann", "bob"], (await bob.Session.WhoAsync()).Order());
        var rooms = await bob.Session.RoomsAsync();
        Assert.Equal(2, Assert.Single(rooms, r => r.Name == "lobby").Members);

        // A nick held on one server is refused on the other, whatever its case.
        var client = await b.ConnectAsync();
        var taken = await Assert.ThrowsAsync<FerryException>(() => client.JoinChatAsync("lobby", "ANN"));
        Assert.Equal(ProtocolError.AlreadyExists, taken.Error);

        // Private messages reach a nick on another server, and only it.
        await ann.Session.MsgAsync("bob", "psst");
        var got = await bob.Events.WaitForAsync(events => events.Any(e => e.Kind == "private"));
        var message = Assert.Single(got, e => e.Kind == "private");
        Assert.Equal(("ann", "bob", "psst"), (message.From, message.To, message.Text));
        var missing = await Assert.ThrowsAsync<FerryException>(() => ann.Session.MsgAsync("nobody", "hello?"));
        Assert.Equal(ProtocolError.NotFound, missing.Error);

        // A nick change and a leave are announced across servers; the freed nick can be taken elsewhere.
        await bob.Session.SetNickAsync("robert");
        await ann.Events.WaitForAsync(events => events.Any(e => e.Kind == "nick" && e.From == "bob" && e.Nick == "robert"));
        var bob2 = await JoinAsync(a, "bob");
        await bob.Events.WaitForAsync(events => events.Any(e => e.Kind == "join" && e.From == "bob"));
        await bob2.Session.LeaveAsync();
        await bob.Events.WaitForAsync(events => events.Any(e => e.Kind == "leave" && e.From == "bob" && e.Reason == "left"));
    }

    [Fact]
    public async Task HistorySurvivesARestartOfEveryServerAndAResumeOnAnotherServerGetsExactlyWhatWasMissed()
    {
        await using var redis = await RedisProcess.StartAsync();
        ChatJoinRequest resume;
        await using (var a = await StartServerAsync(redis))
        {
            var ann = await JoinAsync(a, "ann");
            for (int i = 1; i <= 5; i++) await ann.Session.SayAsync($"m{i}");
            await ann.Events.WaitForMessagesAsync(5);
            resume = ann.Session.ResumeRequest;
            Assert.Equal(5, resume.Since);
        }

        await using var b = await StartServerAsync(redis);
        await using var c = await StartServerAsync(redis);
        var bob = await JoinAsync(b, "bob");
        var history = await bob.Events.WaitForAsync(events => events.Count(e => e.History) >= 5);
        Assert.Equal(["m1", "m2", "m3", "m4", "m5"], history.Where(e => e.History).Select(e => e.Text));
        for (int i = 6; i <= 8; i++) await bob.Session.SayAsync($"m{i}");

        // ann comes back on a third server: exactly m6..m8, no duplicates, no gap.
        var client = await c.ConnectAsync();
        var (session, reply) = await client.JoinChatAsync(resume);
        Assert.True(reply.Resumed);
        Assert.Null(reply.Reset);
        Assert.Equal(3, reply.History);
        Assert.Equal(8, reply.Seq);
        var events = new ChatEventCollector(session.ReadEventsAsync());
        var missed = await events.WaitForAsync(e => e.Count(x => x.History) >= 3);
        Assert.Equal(["m6", "m7", "m8"], missed.Where(e => e.Kind == "message").Select(e => e.Text));
        Assert.Equal([6L, 7L, 8L], missed.Where(e => e.Kind == "message").Select(e => e.Seq));
    }

    [Fact]
    public async Task AfterFlushAllAResumeIsToldTheEpochChanged()
    {
        await using var redis = await RedisProcess.StartAsync();
        await using var a = await StartServerAsync(redis);
        await using var b = await StartServerAsync(redis);
        var ann = await JoinAsync(a, "ann");
        await ann.Session.SayAsync("before");
        await ann.Events.WaitForMessagesAsync(1);
        var resume = ann.Session.ResumeRequest;
        var oldEpoch = resume.Epoch;

        await redis.FlushAllAsync();
        // The next message starts a new epoch; the members following the room are told, and numbering restarts.
        var seq = await ann.Session.SayAsync("after");
        Assert.Equal(1, seq);
        var seen = await ann.Events.WaitForAsync(events => events.Any(e => e.Kind == "message" && e.Text == "after"));
        Assert.Contains(seen, e => e.Kind == "reset");
        Assert.NotEqual(oldEpoch, ann.Session.Epoch);

        var client = await b.ConnectAsync();
        var (_, reply) = await client.JoinChatAsync(resume with { Nick = "ann2" });
        Assert.False(reply.Resumed);
        Assert.Equal("epoch changed", reply.Reset);
        Assert.Equal(1, reply.History);
    }

    [Fact]
    public async Task GarbageWrittenIntoTheRedisKeysDoesNotBreakTheServer()
    {
        await using var redis = await RedisProcess.StartAsync();
        await using var a = await StartServerAsync(redis);
        var ann = await JoinAsync(a, "ann");
        await ann.Session.SayAsync("one");
        await ann.Events.WaitForMessagesAsync(1);

        var db = await redis.AdminAsync();
        const string p = "ferry:chat:";
        // Wrong types, lies in the counter, forged log entries and forged notices.
        await db.StringSetAsync(p + "r:{lobby}:members", "not a hash");
        await db.StringSetAsync(p + "rooms", "not a hash");
        await db.StreamAddAsync(p + "r:{lobby}:log", [new("m", "{\"room\":\"lobby\",\"from\":\"\\u001b[2J\",\"text\":\"x\"}"), new("x", new string('a', 100_000))], "1000-0");
        await db.StringSetAsync(p + "r:{lobby}:seq", "banana");
        await db.StringSetAsync(p + "n:bob", "server-that-does-not-exist");
        var subscriber = db.Multiplexer.GetSubscriber();
        foreach (var forged in new[] { "m lobby 999999 e1 {}", "m lobby 2 " + new string('z', 70) + " {}", "e lobby {\"kind\":\"join\"}", "e lobby not json", "x", "",
                     "e lobby {\"kind\":\"leave\",\"room\":\"lobby\",\"from\":\"evil\u001b[2J\"}", "m LOBBY 2 abc {}" })
        {
            await subscriber.PublishAsync(StackExchange.Redis.RedisChannel.Literal(p + "events"), forged);
        }
        await subscriber.PublishAsync(StackExchange.Redis.RedisChannel.Literal(p + "inbox:whatever"), "p {\"from\":\"x\"}");

        // The chat keeps working (the broken keys are put right), and nothing forged reached the member.
        var seq = await ann.Session.SayAsync("two");
        Assert.True(seq >= 1);
        var seen = await ann.Events.WaitForAsync(events => events.Any(e => e.Kind == "message" && e.Text == "two"));
        Assert.DoesNotContain(seen, e => e.From is { } f && f.Contains('\u001b', StringComparison.Ordinal));
        Assert.DoesNotContain(seen, e => e.Seq == 999999);
        var bob = await JoinAsync(a, "bob2");
        Assert.Contains("bob2", await bob.Session.WhoAsync());
        // bob's nick key points at a server nobody runs: a private message to it finds nobody.
        var missing = await Assert.ThrowsAsync<FerryException>(() => ann.Session.MsgAsync("bob", "hi"));
        Assert.Equal(ProtocolError.NotFound, missing.Error);
        await (await a.ConnectAsync()).EchoAsync("still serving"u8.ToArray());
    }
}

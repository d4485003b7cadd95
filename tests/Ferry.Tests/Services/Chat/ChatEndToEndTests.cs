using System.Net.Sockets;
using System.Text;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Chat;

public class ChatEndToEndTests
{
    private static async Task<(ChatSession Session, ChatEventCollector Events)> JoinAsync(TestServer server, string nick, string room = "lobby")
    {
        var client = await server.ConnectAsync();
        var session = await client.JoinChatAsync(room, nick);
        return (session, new ChatEventCollector(session.ReadEventsAsync()) { Session = session });
    }

    [Fact]
    public async Task ThreeClientsSeeEachOthersMessagesInSendOrder()
    {
        await using var server = await TestServer.StartAsync();
        var members = new[] { await JoinAsync(server, "ann"), await JoinAsync(server, "bob"), await JoinAsync(server, "cid") };
        const int perSender = 25;
        await Task.WhenAll(members.Select(m => Task.Run(async () =>
        {
            for (int i = 0; i < perSender; i++) await m.Session.SayAsync($"{m.Session.Nick} #{i}");
        })));
        var seen = new List<List<ChatEvent>>();
        foreach (var m in members)
        {
            var events = await m.Events.WaitForMessagesAsync(3 * perSender);
            seen.Add(events.Where(e => e.Kind == "message").ToList());
        }
        // Everyone sees the same total order, and each sender's messages in the order they were sent.
        var reference = seen[0].Select(e => e.Text).ToList();
        foreach (var list in seen)
        {
            Assert.Equal(reference, list.Select(e => e.Text).ToList());
            Assert.Equal(Enumerable.Range(1, 3 * perSender).Select(i => (long)i), list.Select(e => e.Seq));
            foreach (var nick in new[] { "ann", "bob", "cid" })
            {
                var mine = list.Where(e => e.From == nick).Select(e => e.Text).ToList();
                Assert.Equal(Enumerable.Range(0, perSender).Select(i => $"{nick} #{i}"), mine);
            }
            Assert.All(list, e => Assert.Equal("lobby", e.Room));
            Assert.All(list, e => Assert.InRange(e.Time, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1)));
        }
    }

    [Fact]
    public async Task PrivateMessagesReachOnlyTheirTarget()
    {
        await using var server = await TestServer.StartAsync();
        var ann = await JoinAsync(server, "ann");
        var bob = await JoinAsync(server, "bob");
        var cid = await JoinAsync(server, "cid");
        await ann.Session.MsgAsync("bob", "just for you");
        await ann.Session.SayAsync("for everyone");

        var bobSaw = await bob.Events.WaitForMessagesAsync(1);
        var whisper = Assert.Single(bobSaw, e => e.Kind == "private");
        Assert.Equal(("ann", "bob", "just for you"), (whisper.From, whisper.To, whisper.Text));
        // Queues are FIFO per member, so had the private message leaked it would be here before the public one.
        foreach (var other in new[] { ann, cid })
        {
            var events = await other.Events.WaitForMessagesAsync(1);
            Assert.DoesNotContain(events, e => e.Kind == "private" || e.Text == "just for you");
        }
        var missing = await Assert.ThrowsAsync<FerryException>(() => ann.Session.MsgAsync("nobody", "hello?"));
        Assert.Equal(ProtocolError.NotFound, missing.Error);
        Assert.Contains("nobody", missing.Message);
    }

    [Fact]
    public async Task TakenNickIsRefusedWithAClearError()
    {
        await using var server = await TestServer.StartAsync();
        var ann = await JoinAsync(server, "bob");
        var other = await server.ConnectAsync();
        var taken = await Assert.ThrowsAsync<FerryException>(() => other.JoinChatAsync("lobby", "BOB"));
        Assert.Equal(ProtocolError.AlreadyExists, taken.Error);
        Assert.Contains("'BOB' is taken", taken.Message);

        var carol = await other.JoinChatAsync("lobby", "carol");
        var carolEvents = new ChatEventCollector(carol.ReadEventsAsync());
        var again = await Assert.ThrowsAsync<FerryException>(() => carol.SetNickAsync("bob"));
        Assert.Equal(ProtocolError.AlreadyExists, again.Error);

        Assert.Equal("robert", await ann.Session.SetNickAsync("robert"));
        Assert.Equal("bob", await carol.SetNickAsync("bob"));
        var events = await carolEvents.WaitForAsync(e => e.Count(x => x.Kind == "nick") >= 2);
        Assert.Contains(events, e => e is { Kind: "nick", From: "bob", Nick: "robert" });
        Assert.Contains(events, e => e is { Kind: "nick", From: "carol", Nick: "bob" });
        var bad = await Assert.ThrowsAsync<FerryException>(() => carol.SetNickAsync("evil\u001b[2J"));
        Assert.Equal(ProtocolError.BadRequest, bad.Error);
        Assert.Equal(["robert", "bob"], (await carol.WhoAsync()).Order(StringComparer.Ordinal).Reverse().ToArray());
    }

    [Fact]
    public async Task JoiningShowsTheRoomsLastMessagesMarkedAsHistory()
    {
        await using var server = await TestServer.StartAsync(o => o.Chat.HistorySize = 5);
        var ann = await JoinAsync(server, "ann", "den");
        for (int i = 1; i <= 8; i++) await ann.Session.SayAsync($"m{i}");
        await ann.Events.WaitForMessagesAsync(8);
        // The author disconnects; history is the server's and survives it.
        await ann.Session.DisposeAsync();

        var bobClient = await server.ConnectAsync();
        var bob = await bobClient.JoinChatAsync("den", "bob");
        var bobEvents = new ChatEventCollector(bob.ReadEventsAsync());
        var events = await bobEvents.WaitForAsync(e => e.Any(x => x.Kind == "join"));
        var history = events.TakeWhile(e => e.History).ToList();
        Assert.Equal(new[] { "m4", "m5", "m6", "m7", "m8" }, history.Select(e => e.Text!).ToArray());
        Assert.All(history, e => Assert.Equal("ann", e.From));
        Assert.Equal("join", events[history.Count].Kind);
        await bob.SayAsync("live");
        var live = (await bobEvents.WaitForMessagesAsync(1)).Last();
        Assert.False(live.History);
        Assert.Equal(9, live.Seq);
    }

    [Fact]
    public async Task OversizeInvalidUtf8AndControlCharactersAreRefusedAndTheConnectionStaysUsable()
    {
        await using var server = await TestServer.StartAsync();
        var ann = await JoinAsync(server, "ann");
        var tooBig = await Assert.ThrowsAsync<FerryException>(() => ann.Session.SayAsync(new string('x', 4097)));
        Assert.Equal(ProtocolError.BadRequest, tooBig.Error);
        Assert.Contains("4097 bytes; the limit is 4096", tooBig.Message);
        var multiByte = await Assert.ThrowsAsync<FerryException>(() => ann.Session.SayAsync(new string('ž', 2049)));
        Assert.Contains("4098 bytes", multiByte.Message);

        var invalid = await Assert.ThrowsAsync<FerryException>(() => ann.Session.SayBytesAsync(new byte[] { (byte)'h', 0xC3, 0x28, 0xFF }));
        Assert.Equal(ProtocolError.BadRequest, invalid.Error);
        Assert.Contains("not valid UTF-8", invalid.Message);

        var control = await Assert.ThrowsAsync<FerryException>(() => ann.Session.SayAsync("clear\u001b[2Jscreen"));
        Assert.Contains("U+001B", control.Message);
        await Assert.ThrowsAsync<FerryException>(() => ann.Session.MsgAsync("ann", new string('y', 5000)));

        Assert.Equal(1, await ann.Session.SayAsync(new string('z', 4096)));
        var events = await ann.Events.WaitForMessagesAsync(1);
        Assert.Equal(4096, Assert.Single(events, e => e.Kind == "message").Text!.Length);
    }

    [Fact]
    public async Task AClientThatStopsReadingIsDroppedWhileOthersKeepReceiving()
    {
        await using var server = await TestServer.StartAsync(o => o.Chat.SendQueueCapacity = 32);
        var ann = await JoinAsync(server, "ann");
        var bob = await JoinAsync(server, "bob");

        // A hand-made client that joins and then never reads again, with a tiny receive window.
        await using var stuck = await server.OpenAuthenticatedRawStreamAsync(configureSocket: s => s.ReceiveBufferSize = 4096);
        await stuck.WriteAsync(RawFrames.Frame("""{"type":"chat.join","id":7,"room":"lobby","nick":"stuck"}"""));
        await bob.Events.WaitForAsync(e => e.Any(x => x is { Kind: "join", From: "stuck" }));

        var text = new string('w', 4000);
        int sent = 0;
        bool dropped = false;
        while (sent < 20_000 && !dropped)
        {
            await ann.Session.SayAsync(text);
            sent++;
            dropped = bob.Events.Snapshot().Any(e => e is { Kind: "leave", From: "stuck" });
        }
        Assert.True(dropped, $"the stuck member was still in the room after {sent} messages");
        var leave = bob.Events.Snapshot().First(e => e is { Kind: "leave", From: "stuck" });
        Assert.StartsWith("dropped: not reading fast enough", leave.Reason);

        // The others got every message, in order, and keep receiving.
        await ann.Session.SayAsync("after the drop");
        var bobSaw = await bob.Events.WaitForMessagesAsync(sent + 1, 60);
        Assert.Equal("after the drop", bobSaw.Last(e => e.Kind == "message").Text);
        Assert.Equal(sent + 1, bobSaw.Count(e => e.Kind == "message"));
        Assert.DoesNotContain("stuck", await bob.Session.WhoAsync());

        // The stuck connection is closed by the server: draining it reaches the end.
        Assert.True(await RawFrames.ReadsToTheEndAsync(stuck, TimeSpan.FromSeconds(30)));

        // It can come back under the same nick.
        var again = await JoinAsync(server, "stuck");
        Assert.Equal("stuck", again.Session.Nick);
    }

    [Fact]
    public async Task LeavingAndDisconnectingAreAnnounced()
    {
        await using var server = await TestServer.StartAsync();
        var ann = await JoinAsync(server, "ann");
        var bobClient = await server.ConnectAsync();
        var bob = await bobClient.JoinChatAsync("lobby", "bob");
        await ann.Events.WaitForAsync(e => e.Any(x => x is { Kind: "join", From: "bob" }));
        await bob.JoinAsync("other");
        await ann.Events.WaitForAsync(e => e.Any(x => x is { Kind: "leave", From: "bob", Reason: "left" }));
        await bob.JoinAsync("lobby");
        await bobClient.DisposeAsync();
        await ann.Events.WaitForAsync(e => e.Any(x => x is { Kind: "leave", From: "bob", Reason: "disconnected" }));
        var rooms = await ann.Session.RoomsAsync();
        Assert.Contains(rooms, r => r is { Name: "lobby", Members: 1 });
    }

    [Fact]
    public async Task RawClientGetsJoinAnswerHistoryAndEventsOnTheJoinId()
    {
        await using var server = await TestServer.StartAsync();
        var ann = await JoinAsync(server, "ann");
        await ann.Session.SayAsync("earlier");
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        await stream.WriteAsync(RawFrames.Frame("""{"type":"chat.join","id":7,"room":"lobby","nick":"raw"}"""));
        var ok = (await RawFrames.ReadFrameAsync(stream))!.Value;
        Assert.Contains("\"type\":\"ok\"", ok.Header);
        Assert.Contains("\"id\":7", ok.Header);
        Assert.Contains("\"history\":1", ok.Header);
        var history = (await RawFrames.ReadFrameAsync(stream))!.Value;
        Assert.Contains("\"history\":true", history.Header);
        Assert.Equal("earlier", Encoding.UTF8.GetString(history.Body));
        var join = (await RawFrames.ReadFrameAsync(stream))!.Value;
        Assert.Contains("\"kind\":\"join\"", join.Header);
        await stream.WriteAsync(RawFrames.Frame("""{"type":"chat.say","id":8,"size":2}""", "hi"u8));
        var first = (await RawFrames.ReadFrameAsync(stream))!.Value;
        var second = (await RawFrames.ReadFrameAsync(stream))!.Value;
        var frames = new[] { first, second };
        Assert.Contains(frames, f => f.Header.Contains("\"type\":\"ok\"") && f.Header.Contains("\"seq\":2"));
        Assert.Contains(frames, f => f.Header.Contains("\"chat.event\"") && Encoding.UTF8.GetString(f.Body) == "hi");
    }
}

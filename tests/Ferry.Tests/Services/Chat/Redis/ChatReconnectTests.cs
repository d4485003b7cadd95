using Ferry.Cli.Commands.Chat;
using Ferry.Client;
using Ferry.Contracts.Chat;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Chat.Redis;

/// <summary><c>ferry chat</c>'s link reconnects by itself after its server went away and resumes on another one.</summary>
public class ChatReconnectTests
{
    [Fact]
    public async Task TheChatLinkResumesOnAnotherServerWithExactlyTheMissedMessages()
    {
        await using var redis = await RedisProcess.StartAsync();
        var a = await RedisChatTests.StartServerAsync(redis);
        await using var b = await RedisChatTests.StartServerAsync(redis);
        var current = a;
        Task<FerryClient> Connect(CancellationToken ct) => FerryClient.ConnectAsync(current.ClientOptions(), ct);

        var client = await Connect(CancellationToken.None);
        var session = await client.JoinChatAsync("lobby", "ann");
        await using var link = new TcpChatLink(Connect, client, session, new ChatJoinReply { Room = "lobby", Nick = "ann" });
        var events = new ChatEventCollector(link.ReadEventsAsync(CancellationToken.None));
        var bob = await RedisChatTests.JoinAsync(b, "bob");
        await bob.Session.SayAsync("m1");
        await events.WaitForAsync(e => e.Any(x => x.Text == "m1"));

        current = b;
        await a.DisposeAsync(); // ann's server goes away
        await events.WaitForAsync(e => e.Any(x => x.Kind == "notice"));
        await bob.Session.SayAsync("m2");
        await bob.Session.SayAsync("m3");
        var seen = await events.WaitForAsync(e => e.Any(x => x.Text == "m3"), seconds: 30);
        Assert.Contains(seen, x => x.Kind == "notice" && x.Text!.StartsWith("reconnected: resumed lobby", StringComparison.Ordinal));
        Assert.Equal(["m1", "m2", "m3"], seen.Where(x => x.Kind == "message").Select(x => x.Text));
        Assert.Equal("ann", link.Nick);
        await link.SayAsync("back", CancellationToken.None);
        await bob.Events.WaitForAsync(e => e.Any(x => x.Text == "back" && x.From == "ann"));
    }
}

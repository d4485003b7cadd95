using Ferry.Security.SharedKey;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Ferry.Client;
using Ferry.Datagrams;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Chat;

public class UdpChatTests
{
    /// <summary>A server with the UDP chat relay on a free port and a known shared key.</summary>
    internal static async Task<(TestServer Server, UdpChatRelay Relay, byte[] Key)> StartAsync()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var server = await TestServer.StartAsync(o =>
        {
            // The shared key as the security feature stores it: base64 text in <state>/key.
            File.WriteAllText(Path.Combine(o.Server.DataDirectory, "key"), Convert.ToBase64String(key) + "\n");
            o.UdpChat.EndPoint = new IPEndPoint(IPAddress.Loopback, 0);
        });
        var relay = (UdpChatRelay)server.Server.Services.GetService(typeof(UdpChatRelay))!;
        return (server, relay, key);
    }

    private static async Task<ChatEvent> NextAsync(IAsyncEnumerator<ChatEvent> events, double seconds = 10)
    {
        var next = events.MoveNextAsync().AsTask();
        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(seconds)), "the event stream ended");
        return events.Current;
    }

    [Fact]
    public async Task MessagesAreRelayedBetweenTwoUdpMembers()
    {
        var (server, relay, key) = await StartAsync();
        await using var _ = server;
        await using var ann = await UdpChatClient.JoinAsync(relay.LocalEndPoint, key, "deck", "ann");
        await using var annEvents = ann.ReadEventsAsync().GetAsyncEnumerator();
        await using var bob = await UdpChatClient.JoinAsync(relay.LocalEndPoint, key, "deck", "bob");
        await using var bobEvents = bob.ReadEventsAsync().GetAsyncEnumerator();

        var joined = await NextAsync(annEvents);
        Assert.Equal(("join", "bob", "deck"), (joined.Kind, joined.From, joined.Room));
        await ann.SayAsync("ahoy žluťoučký");
        var heard = await NextAsync(bobEvents);
        Assert.Equal(("message", "ann", "ahoy žluťoučký"), (heard.Kind, heard.From, heard.Text));
        await bob.SayAsync("aye");
        Assert.Equal("aye", (await NextAsync(annEvents)).Text);
        Assert.Equal(0, relay.Ignored);
    }

    [Fact]
    public async Task ForgedStaleAndReplayedDatagramsAreIgnored()
    {
        var (server, relay, key) = await StartAsync();
        await using var _ = server;
        await using var bob = await UdpChatClient.JoinAsync(relay.LocalEndPoint, key, "deck", "bob");
        await using var bobEvents = bob.ReadEventsAsync().GetAsyncEnumerator();
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await raw.ConnectAsync(relay.LocalEndPoint);

        var real = UdpChatPacket.Create("say", "deck", "mallory", "first").Encode(key);
        await raw.SendAsync(real);
        Assert.Equal(("join", "mallory"), await KindAndFromAsync(bobEvents));
        Assert.Equal("first", (await NextAsync(bobEvents)).Text);

        await raw.SendAsync(real); // replayed, byte for byte
        await raw.SendAsync(UdpChatPacket.Create("say", "deck", "mallory", "forged").Encode(RandomNumberGenerator.GetBytes(32)));
        var tampered = UdpChatPacket.Create("say", "deck", "mallory", "tamper").Encode(key);
        tampered[tampered.AsSpan().IndexOf("tamper"u8)] = (byte)'T';
        await raw.SendAsync(tampered);
        long stale = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds();
        await raw.SendAsync(new UdpChatPacket("say", "deck", "mallory", "stale", stale, Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))).Encode(key));
        await raw.SendAsync("{\"kind\":\"say\",\"text\":\"unsigned\"}"u8.ToArray());
        await raw.SendAsync(UdpChatPacket.Create("say", "deck", "mallory", "second").Encode(key));

        // The next thing bob hears is the second real message: nothing in between got through.
        Assert.Equal("second", (await NextAsync(bobEvents)).Text);
        Assert.Equal(5, relay.Ignored);
    }

    private static async Task<(string, string?)> KindAndFromAsync(IAsyncEnumerator<ChatEvent> events)
    {
        var e = await NextAsync(events);
        return (e.Kind, e.From);
    }

    [Fact]
    public async Task AMessageOverTheDatagramLimitIsRefusedAtTheSender()
    {
        var (server, relay, key) = await StartAsync();
        await using var _ = server;
        await using var ann = await UdpChatClient.JoinAsync(relay.LocalEndPoint, key, "deck", "ann");
        var error = await Assert.ThrowsAsync<FerryException>(() => ann.SayAsync(new string('x', 1200)));
        Assert.Contains("limit is 1200", error.Message);
        await ann.SayAsync(new string('x', 1000));
    }

    [Fact]
    public void AMissingKeyIsCreatedOnceAndReused()
    {
        var dir = TempDirectory.Create("udp-key");
        try
        {
            var path = Path.Combine(dir, "key");
            var created = SharedKeyFile.LoadOrCreate(path);
            Assert.Equal(32, created.Length);
            Assert.Equal(created, SharedKeyFile.LoadOrCreate(path));
            Assert.Single(Directory.GetFiles(dir));
        }
        finally
        {
            TempDirectory.TryDelete(dir);
        }
    }
}

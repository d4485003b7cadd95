using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Ferry.Client;
using Ferry.Datagrams;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Abuse;

/// <summary>
/// Issue 14 items 7 and 8: the UDP chat relay's own signed output, sent back to it by a peer without the key,
/// registered that peer as a member (reflection); and a signed datagram with <c>ts = now − 2^63</c> overflowed
/// Math.Abs in the replay guard, which stopped the relay and, through the host, the whole server.
/// </summary>
public sealed class UdpChatAbuseTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static Task<(TestServer Server, UdpChatRelay Relay, byte[] Key)> StartAsync() => Services.Chat.UdpChatTests.StartAsync();

    private static Socket Udp(IPEndPoint relay)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(relay);
        return socket;
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (!condition())
        {
            Assert.False(deadline.IsCancellationRequested, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task TheRelaysOwnDatagramSentBackDoesNotMakeTheSenderAMember()
    {
        var (server, relay, key) = await StartAsync();
        await using var _ = server;
        using var bob = Udp(relay.LocalEndPoint);
        using var mallory = Udp(relay.LocalEndPoint); // holds no key: it can only send back what it overheard
        bob.Send(UdpChatPacket.Create("join", "deck", "bob", null).Encode(key));
        // The relay handles datagrams one at a time: once it has ignored a probe, everything before it is done.
        bob.Send("probe"u8.ToArray());
        await WaitForAsync(() => relay.Ignored == 1, "bob's join");
        await using var ann = await UdpChatClient.JoinAsync(relay.LocalEndPoint, key, "deck", "ann");

        // Bob hears the relay announce ann: a datagram signed by the server.
        var overheard = new byte[2048];
        using (var receive = new CancellationTokenSource(Patience))
        {
            int n = await bob.ReceiveAsync(overheard, SocketFlags.None, receive.Token);
            overheard = overheard[..n];
        }
        Assert.Contains("\"kind\":\"join\"", System.Text.Encoding.UTF8.GetString(overheard));

        long ignoredBefore = relay.Ignored;
        mallory.Send(overheard); // reflected
        await WaitForAsync(() => relay.Ignored == ignoredBefore + 1, "the relay to ignore the reflected datagram");

        await ann.SayAsync("for members only");
        var heard = new byte[2048];
        using (var receive = new CancellationTokenSource(Patience))
        {
            await bob.ReceiveAsync(heard, SocketFlags.None, receive.Token);
        }
        // Once the relay has ignored this probe, the say was fully relayed (to bob, and to mallory if she were a member).
        mallory.Send("probe"u8.ToArray());
        await WaitForAsync(() => relay.Ignored == ignoredBefore + 2, "the probe");
        Assert.Equal(0, mallory.Available);
    }

    [Fact]
    public async Task ATimestampOf2To63InThePastIsIgnoredAndEverythingKeepsServing()
    {
        var (server, relay, key) = await StartAsync();
        await using var _ = server;
        using var raw = Udp(relay.LocalEndPoint);
        long ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + long.MinValue; // now − 2^63
        raw.Send(new UdpChatPacket("say", "deck", "mallory", "boom", ts, Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))).Encode(key));
        await WaitForAsync(() => relay.Ignored == 1, "the relay to ignore the datagram");

        // TCP still serves.
        var client = await server.ConnectAsync();
        Assert.Equal("still here"u8.ToArray(), await client.EchoAsync("still here"u8.ToArray()));

        // And UDP chat still relays.
        await using var ann = await UdpChatClient.JoinAsync(relay.LocalEndPoint, key, "deck", "ann");
        await using var annEvents = ann.ReadEventsAsync().GetAsyncEnumerator();
        await using var bob = await UdpChatClient.JoinAsync(relay.LocalEndPoint, key, "deck", "bob");
        Assert.True(await annEvents.MoveNextAsync().AsTask().WaitAsync(Patience));
        Assert.Equal(("join", "bob"), (annEvents.Current.Kind, annEvents.Current.From));
        await using var bobEvents = bob.ReadEventsAsync().GetAsyncEnumerator();
        await ann.SayAsync("ahoy");
        Assert.True(await bobEvents.MoveNextAsync().AsTask().WaitAsync(Patience));
        Assert.Equal(("message", "ahoy"), (bobEvents.Current.Kind, bobEvents.Current.Text));
    }

    [Fact]
    public void TheReplayGuardSaturatesInsteadOfOverflowing()
    {
        var guard = new UdpReplayGuard(TimeSpan.FromSeconds(60));
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (long ts in new[] { now + long.MinValue, long.MinValue, long.MaxValue, now - long.MaxValue })
        {
            Assert.False(guard.TryAccept(new UdpChatPacket("say", "deck", "m", "t", ts, Guid.NewGuid().ToString()), out var error));
            Assert.Contains("stale or replayed", error);
        }
        Assert.True(guard.TryAccept(new UdpChatPacket("say", "deck", "m", "t", now, "fresh"), out _));
    }
}

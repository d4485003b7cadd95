using Ferry.Client;
using Ferry.Protocol;
using Ferry.Security;
using Ferry.Contracts.Chat;
using Ferry.Services.Chat;
using Ferry.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Ferry.Tests.Abuse;

/// <summary>
/// Issue 14 item 6: a room was freed only with no members and no history, so one user could pin memory with
/// thousands of one-message rooms and fill the server's room cap, making everyone else's new room <c>busy</c> until a
/// restart. Now an empty room's history expires, and each user may have created only so many rooms that still exist.
/// </summary>
public sealed class ChatRoomExpiryTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task OneUsersRoomsAreCappedAndEmptyRoomsExpireFreeingTheServerCap()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        ChatHub? hub = null;
        await using var server = await TestServer.StartAsync(
            o =>
            {
                o.Time = time;
                o.Chat.EmptyRoomLifetime = Lifetime;
                o.Chat.MaxRoomsPerUser = 3;
                o.Chat.MaxRooms = 4;
            },
            b => hub = b.AddedServices.OfType<ChatService>().Single().Hub);
        server.AddUser("ann", "ann's password", Rights.Chat);
        server.AddUser("bob", "bob's password", Rights.Chat);
        server.AddUser("carol", "carol's password", Rights.Chat);
        await using var annClient = await FerryClient.ConnectAsync(server.UserOptions("ann", "ann's password"));
        await using var bobClient = await FerryClient.ConnectAsync(server.UserOptions("bob", "bob's password"));
        await using var carolClient = await FerryClient.ConnectAsync(server.UserOptions("carol", "carol's password"));

        // Ann leaves three rooms behind, each with one message of history.
        await using var ann = await annClient.JoinChatAsync("a1", "ann");
        await ann.SayAsync("one");
        await ann.JoinAsync("a2");
        await ann.SayAsync("two");
        await ann.JoinAsync("a3");
        await ann.SayAsync("three");
        await ann.LeaveAsync();
        Assert.Equal(3, hub!.RoomCount);

        var capped = await Assert.ThrowsAsync<FerryException>(() => ann.JoinAsync("a4"));
        Assert.Equal(ProtocolError.Busy, capped.Error);
        Assert.Contains("'ann' already created 3 rooms", capped.Message);
        Assert.Contains("--chat-max-rooms-per-user is 3", capped.Message);

        // Another user is not held to ann's cap, only to the server's.
        await using var bob = await bobClient.JoinChatAsync("b1", "bob");
        var full = await Assert.ThrowsAsync<FerryException>(() => carolClient.JoinChatAsync("c1", "carol"));
        Assert.Equal(ProtocolError.Busy, full.Error);
        Assert.Contains("already has 4 rooms", full.Message);

        // Just before the lifetime nothing goes; once it has passed the sweep frees ann's rooms with nobody joining.
        time.Advance(Lifetime - TimeSpan.FromSeconds(1));
        Assert.Equal(4, hub.RoomCount);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, hub.RoomCount); // bob's room has a member: it stays

        await using var carol = await carolClient.JoinChatAsync("c1", "carol");
        await ann.JoinAsync("a4");
        var again = await ann.JoinAsync("a1");
        Assert.Equal(0, again.History); // a new room: the old history went with the old one
    }
}

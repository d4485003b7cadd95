using Ferry.Protocol;
using Ferry.Contracts.Chat;

namespace Ferry.Client;

/// <summary>Chat from the client side: join a room and get a <see cref="ChatSession"/>.</summary>
public static class FerryChatClientExtensions
{
    /// <summary>
    /// Joins <paramref name="room"/> as <paramref name="nick"/> (null: the server picks your user name).
    /// <paramref name="bufferedEvents"/> events wait for the reader before the connection stops reading.
    /// </summary>
    public static async Task<ChatSession> JoinChatAsync(this FerryClient client, string room = "lobby", string? nick = null,
        int bufferedEvents = 1024, CancellationToken cancellationToken = default)
    {
        var session = new ChatSession(client, bufferedEvents);
        try
        {
            await session.JoinAsync(room, nick, cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The server's rooms with their member counts (no need to join).</summary>
    public static async Task<ChatRoomInfo[]> ChatRoomsAsync(this FerryClient client, CancellationToken cancellationToken = default)
    {
        var response = await client.RequestAsync(MessageTypes.ChatRooms, new ChatWhoMessage(),
            ChatJsonContext.Default.ChatWhoMessage, ChatJsonContext.Default.ChatRoomsReply, cancellationToken).ConfigureAwait(false);
        return response.Payload?.Rooms ?? [];
    }
}

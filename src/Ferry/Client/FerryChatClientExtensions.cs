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

    /// <summary>
    /// Joins with a whole request: pass an earlier session's <see cref="ChatSession.ResumeRequest"/> after a reconnect
    /// (to this server or, with a shared backplane, another) to get exactly the messages missed since (protocol.md, chat
    /// resume); the reply's <c>resumed</c>/<c>reset</c> say whether that was possible.
    /// </summary>
    public static async Task<(ChatSession Session, ChatJoinReply Reply)> JoinChatAsync(this FerryClient client, ChatJoinRequest request,
        int bufferedEvents = 1024, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var session = new ChatSession(client, bufferedEvents);
        try
        {
            var reply = await session.JoinAsync(request, cancellationToken).ConfigureAwait(false);
            return (session, reply);
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

using Ferry.Protocol;
using Ferry.Server;
using Ferry.Contracts.Chat;

namespace Ferry.Services.Chat;

/// <summary>
/// The chat requests (<c>chat.join</c>, <c>chat.say</c>, <c>chat.msg</c>, <c>chat.nick</c>, <c>chat.who</c>,
/// <c>chat.rooms</c>, <c>chat.leave</c>) for one server-wide <see cref="ChatHub"/>. Events reach members as
/// <c>chat.event</c> frames on the id of their <c>chat.join</c>.
/// </summary>
public sealed class ChatService : IFerryService
{
    public ChatService(ChatHub hub)
    {
        Hub = hub;
    }

    public ChatHub Hub { get; }

    /// <summary>The message types this service answers.</summary>
    public static IReadOnlyList<string> RequestTypes { get; } =
    [
        MessageTypes.ChatJoin, MessageTypes.ChatSay, MessageTypes.ChatMsg, MessageTypes.ChatNick,
        MessageTypes.ChatWho, MessageTypes.ChatRooms, MessageTypes.ChatLeave,
    ];

    public async ValueTask HandleAsync(ServerRequest request)
    {
        var member = request.Session.GetFeature(s => new ChatMember(Hub, s.Connection, s.Principal?.Name ?? "guest",
            // Room for a whole history replay on top of the live queue, so joining never overflows.
            Hub.Options.SendQueueCapacity + Hub.Options.HistorySize + 2));
        var connection = request.Connection;
        var ct = request.CancellationToken;
        switch (request.Type)
        {
            case MessageTypes.ChatJoin:
                var join = request.Read(ChatJsonContext.Default.ChatJoinRequest);
                // The ok goes through the member's queue so it precedes the history that follows.
                Hub.Join(member, join.Room, join.Nick, request.Id);
                return;
            case MessageTypes.ChatSay:
                var say = request.Read(ChatJsonContext.Default.ChatSayRequest);
                var text = await ReadTextAsync(request).ConfigureAwait(false);
                long seq = Hub.Say(member, say.Room, text);
                await connection.SendAsync(MessageTypes.Ok, request.Id, new ChatSayReply { Seq = seq }, ChatJsonContext.Default.ChatSayReply, ct).ConfigureAwait(false);
                return;
            case MessageTypes.ChatMsg:
                var msg = request.Read(ChatJsonContext.Default.ChatMsgRequest);
                var privateText = await ReadTextAsync(request).ConfigureAwait(false);
                Hub.Private(member, msg.To, privateText);
                await connection.SendAsync(MessageTypes.Ok, request.Id, ct).ConfigureAwait(false);
                return;
            case MessageTypes.ChatNick:
                var nick = Hub.SetNick(member, request.Read(ChatJsonContext.Default.ChatNickMessage).Nick);
                await connection.SendAsync(MessageTypes.Ok, request.Id, new ChatNickMessage { Nick = nick }, ChatJsonContext.Default.ChatNickMessage, ct).ConfigureAwait(false);
                return;
            case MessageTypes.ChatWho:
                var who = Hub.Who(member, request.Read(ChatJsonContext.Default.ChatWhoMessage).Room);
                await connection.SendAsync(MessageTypes.Ok, request.Id, who, ChatJsonContext.Default.ChatWhoMessage, ct).ConfigureAwait(false);
                return;
            case MessageTypes.ChatRooms:
                await connection.SendAsync(MessageTypes.Ok, request.Id, Hub.Rooms(), ChatJsonContext.Default.ChatRoomsReply, ct).ConfigureAwait(false);
                return;
            case MessageTypes.ChatLeave:
                Hub.Leave(member);
                await connection.SendAsync(MessageTypes.Ok, request.Id, ct).ConfigureAwait(false);
                return;
            default:
                throw new FerryException(ProtocolError.UnknownType, $"unknown chat request '{request.Type}'");
        }
    }

    private async ValueTask<byte[]> ReadTextAsync(ServerRequest request)
    {
        int max = Hub.Options.MaxTextBytes;
        // Refuse before reading: the session skips the unread body, so an oversized message costs no memory.
        if (request.Body.Length > max) throw ChatText.TooLong(request.Body.Length, max);
        var bytes = await request.Body.ReadAllAsync(max, request.CancellationToken).ConfigureAwait(false);
        ChatText.Validate(bytes, max);
        return bytes;
    }
}

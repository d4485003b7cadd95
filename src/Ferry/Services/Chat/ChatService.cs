using Ferry.Protocol;
using Ferry.Security;
using Ferry.Server;
using Ferry.Contracts.Chat;

namespace Ferry.Services.Chat;

/// <summary>
/// The chat requests (<c>chat.join</c>, <c>chat.say</c>, <c>chat.msg</c>, <c>chat.nick</c>, <c>chat.who</c>,
/// <c>chat.rooms</c>, <c>chat.leave</c>) for one server-wide <see cref="ChatHub"/>. Events reach members as
/// <c>chat.event</c> frames on the id of their <c>chat.join</c>.
/// </summary>
public sealed class ChatService : IFerryService, IDisposable
{
    private readonly ConnectionState<ChatMember> _members;
    private readonly IChatHub _hub;

    /// <summary>The chat requests over <paramref name="hub"/>, which the service owns from now on.</summary>
    public ChatService(ChatHub hub)
        : this((IChatHub)hub)
    {
    }

    internal ChatService(IChatHub hub)
    {
        _hub = hub;
        // Room for a whole history replay on top of the live queue, so joining never overflows.
        _members = new(context => new ChatMember(hub, context.Principal.Name, hub.Options.SendQueueCapacity + hub.Options.HistorySize + 2,
            context.Time, context.CancellationToken));
    }

    /// <summary>The service owns its hub (as a reader owns its stream): disposed with the server, it stops the hub's sweeper.</summary>
    public void Dispose() => (_hub as IDisposable)?.Dispose();

    /// <summary>The in-process hub, or null when the service was built on another <see cref="IChatHub"/>.</summary>
    public ChatHub? Hub => _hub as ChatHub;

    /// <summary>Every chat request, each needing the <c>chat</c> right.</summary>
    public void MapRoutes(ServiceRoutes routes) => routes
        .Map(MessageTypes.ChatJoin, ChatJsonContext.Default.ChatJoinRequest, JoinAsync, Rights.Chat)
        .Map(MessageTypes.ChatSay, ChatJsonContext.Default.ChatSayRequest, SayAsync, Rights.Chat)
        .Map(MessageTypes.ChatMsg, ChatJsonContext.Default.ChatMsgRequest, PrivateAsync, Rights.Chat)
        .Map(MessageTypes.ChatNick, ChatJsonContext.Default.ChatNickMessage, NickAsync, Rights.Chat)
        .Map(MessageTypes.ChatWho, ChatJsonContext.Default.ChatWhoMessage, WhoAsync, Rights.Chat)
        .Map(MessageTypes.ChatRooms, RoomsAsync, Rights.Chat)
        .Map(MessageTypes.ChatLeave, LeaveAsync, Rights.Chat);

    private ChatMember Member(RequestContext request) => request.GetState(_members);

    // The ok goes through the member's queue so it precedes the history that follows; the join's exchange stays
    // open, carrying the room's events, until the member leaves the room.
    private ValueTask JoinAsync(RequestContext request, ChatJoinRequest join) => _hub.JoinAsync(Member(request), join, request);

    private async ValueTask SayAsync(RequestContext request, ChatSayRequest say)
    {
        var member = Member(request);
        var text = await ReadTextAsync(request).ConfigureAwait(false);
        long seq = await _hub.SayAsync(member, say.Room, text).ConfigureAwait(false);
        await request.ReplyAsync(MessageTypes.Ok, new ChatSayReply { Seq = seq }, ChatJsonContext.Default.ChatSayReply, request.CancellationToken).ConfigureAwait(false);
    }

    private async ValueTask PrivateAsync(RequestContext request, ChatMsgRequest msg)
    {
        var member = Member(request);
        var privateText = await ReadTextAsync(request).ConfigureAwait(false);
        await _hub.PrivateAsync(member, msg.To, privateText).ConfigureAwait(false);
        await request.ReplyAsync(MessageTypes.Ok, request.CancellationToken).ConfigureAwait(false);
    }

    private async ValueTask NickAsync(RequestContext request, ChatNickMessage message)
    {
        var nick = await _hub.SetNickAsync(Member(request), message.Nick).ConfigureAwait(false);
        await request.ReplyAsync(MessageTypes.Ok, new ChatNickMessage { Nick = nick }, ChatJsonContext.Default.ChatNickMessage, request.CancellationToken).ConfigureAwait(false);
    }

    private async ValueTask WhoAsync(RequestContext request, ChatWhoMessage message)
    {
        var who = await _hub.WhoAsync(Member(request), message.Room).ConfigureAwait(false);
        await request.ReplyAsync(MessageTypes.Ok, who, ChatJsonContext.Default.ChatWhoMessage, request.CancellationToken).ConfigureAwait(false);
    }

    private async ValueTask RoomsAsync(RequestContext request)
    {
        _ = Member(request);
        var rooms = await _hub.RoomsAsync().ConfigureAwait(false);
        await request.ReplyAsync(MessageTypes.Ok, rooms, ChatJsonContext.Default.ChatRoomsReply, request.CancellationToken).ConfigureAwait(false);
    }

    private async ValueTask LeaveAsync(RequestContext request)
    {
        await _hub.LeaveAsync(Member(request)).ConfigureAwait(false);
        await request.ReplyAsync(MessageTypes.Ok, request.CancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<byte[]> ReadTextAsync(RequestContext request)
    {
        int max = _hub.Options.MaxTextBytes;
        // Refuse before reading: the session skips the unread body, so an oversized message costs no memory.
        if (request.Body.Length > max) throw ChatText.TooLong(request.Body.Length, max);
        var bytes = await request.Body.ReadAllAsync(max, request.CancellationToken).ConfigureAwait(false);
        ChatText.Validate(bytes, max);
        return bytes;
    }
}

using Ferry.Contracts.Chat;
namespace Ferry.Services.Chat;

/// <summary>
/// One frame waiting in a member's send queue: a <c>chat.event</c> (fields shared by every recipient, text as the
/// body) or the <c>ok</c> that answers a join, queued so it reaches the member before the room's history.
/// </summary>
/// <remarks><see cref="Join"/> is the member's <c>chat.join</c> exchange the frame goes out on (default in the room's history).</remarks>
internal readonly record struct ChatDelivery(Server.RequestContext Join, ChatEventMessage? Event, ReadOnlyMemory<byte> Text, ChatJoinReply? Reply = null);

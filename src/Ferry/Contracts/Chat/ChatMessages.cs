using System.Text.Json.Serialization;

namespace Ferry.Contracts.Chat;

/// <summary><c>chat.join</c>: enter <see cref="Room"/> (leaving the current one); <see cref="Nick"/> claims a nick first.</summary>
public sealed record ChatJoinRequest
{
    /// <summary>The room to enter; null for the default room.</summary>
    public string? Room { get; init; }

    /// <summary>A nick to claim before joining; null keeps the current one (first: the login name).</summary>
    public string? Nick { get; init; }

    /// <summary>Resume: the last <c>seq</c> this client saw in the room (protocol.md, chat resume); with <see cref="Epoch"/>.</summary>
    public long? Since { get; init; }

    /// <summary>Resume: the room's <c>epoch</c> from the earlier join reply; a different epoch means the numbering restarted.</summary>
    public string? Epoch { get; init; }
}

/// <summary>The <c>ok</c> answering <c>chat.join</c>; the room's events follow on the same id.</summary>
public sealed record ChatJoinReply
{
    /// <summary>The room joined.</summary>
    public string Room { get; init; } = "";

    /// <summary>The member's nick.</summary>
    public string Nick { get; init; } = "";

    /// <summary>The nicks in the room, the new member included.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string[] Members { get; init; } = [];

    /// <summary>How many history messages follow (each a <c>chat.event</c> with <c>history: true</c>); always written, 0 included.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public int History { get; init; }

    /// <summary>The room's numbering epoch: <c>seq</c> values compare only within one epoch.</summary>
    public string? Epoch { get; init; }

    /// <summary>The room's last <c>seq</c> when the join happened (the history that follows ends there); always written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long Seq { get; init; }

    /// <summary>A resume (<c>since</c>) succeeded: the history that follows is exactly the messages after <c>since</c>.</summary>
    public bool Resumed { get; init; }

    /// <summary>A resume was asked for but is impossible (<c>epoch changed</c>, <c>history trimmed</c>): the usual history follows instead.</summary>
    public string? Reset { get; init; }
}

/// <summary><c>chat.say</c>: the body is the UTF-8 text; <see cref="Room"/>, when given, must be the joined room.</summary>
public sealed record ChatSayRequest
{
    /// <summary>The joined room, when the client names it; another room is refused.</summary>
    public string? Room { get; init; }
}

/// <summary>The <c>ok</c> answering <c>chat.say</c>: the message's sequence number in its room.</summary>
public sealed record ChatSayReply
{
    /// <summary>The message's number in its room (one order for every member).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long Seq { get; init; }
}

/// <summary><c>chat.msg</c>: a private message to one nick; the body is the UTF-8 text.</summary>
public sealed record ChatMsgRequest
{
    /// <summary>The nick the message is for.</summary>
    public string? To { get; init; }
}

/// <summary><c>chat.nick</c> request and reply.</summary>
public sealed record ChatNickMessage
{
    /// <summary>The nick asked for (request) or now held (reply).</summary>
    public string? Nick { get; init; }
}

/// <summary><c>chat.who</c> request (room optional: the joined one) and reply.</summary>
public sealed record ChatWhoMessage
{
    /// <summary>The room; null for the joined one.</summary>
    public string? Room { get; init; }

    /// <summary>In the reply: the room's nicks.</summary>
    public string[]? Members { get; init; }
}

/// <summary>The <c>ok</c> answering <c>chat.rooms</c>.</summary>
public sealed record ChatRoomsReply
{
    /// <summary>Every room with its member count.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public ChatRoomInfo[] Rooms { get; init; } = [];
}

/// <summary>One room in a <c>chat.rooms</c> answer.</summary>
public sealed record ChatRoomInfo(string Name, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int Members);

/// <summary>
/// The fields of a <c>chat.event</c> frame; for <c>message</c> and <c>private</c> the body is the text.
/// Kinds: <c>message</c>, <c>private</c>, <c>join</c>, <c>leave</c>, <c>nick</c>; with a Redis backplane also
/// <c>degraded</c>, <c>recovered</c> and <c>reset</c> (protocol.md §5.5).
/// </summary>
public sealed record ChatEventMessage
{
    /// <summary>What happened: one of the kinds above.</summary>
    public string Kind { get; init; } = "";

    /// <summary>The room it happened in; null for a private message.</summary>
    public string? Room { get; init; }

    /// <summary>Who sent the message, joined, left or changed nick (the old nick).</summary>
    public string? From { get; init; }

    /// <summary>The recipient of a private message.</summary>
    public string? To { get; init; }

    /// <summary>The new nick of a <c>nick</c> event.</summary>
    public string? Nick { get; init; }

    /// <summary>Server time, Unix milliseconds; always written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public long Time { get; init; }

    /// <summary>The message's sequence number in its room (messages only).</summary>
    public long Seq { get; init; }

    /// <summary>Replayed from the room's history on join.</summary>
    public bool History { get; init; }

    /// <summary>Why a member left: <c>left</c>, <c>disconnected</c>, <c>dropped: ...</c>.</summary>
    public string? Reason { get; init; }

    /// <summary>The room's numbering epoch, on <c>message</c> events: what a later <c>chat.join</c> resume sends back.</summary>
    public string? Epoch { get; init; }
}

/// <summary>Source-generated (AOT-safe) JSON metadata for the chat contracts: pass its type infos to the typed request helpers or to <c>JsonSerializer</c>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(ChatJoinRequest))]
[JsonSerializable(typeof(ChatJoinReply))]
[JsonSerializable(typeof(ChatSayRequest))]
[JsonSerializable(typeof(ChatSayReply))]
[JsonSerializable(typeof(ChatMsgRequest))]
[JsonSerializable(typeof(ChatNickMessage))]
[JsonSerializable(typeof(ChatWhoMessage))]
[JsonSerializable(typeof(ChatRoomsReply))]
[JsonSerializable(typeof(ChatEventMessage))]
public sealed partial class ChatJsonContext : JsonSerializerContext
{
}

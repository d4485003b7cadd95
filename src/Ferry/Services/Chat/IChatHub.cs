using Ferry.Contracts.Chat;

namespace Ferry.Services.Chat;

/// <summary>
/// What <see cref="ChatService"/> asks of the chat's shared state. Two implementations: <see cref="ChatHub"/> (this
/// process, the default) and, for issue #20, a Redis backplane (every server pointed at one Redis is one chat).
/// </summary>
internal interface IChatHub
{
    ChatOptions Options { get; }

    ValueTask<string> SetNickAsync(ChatMember member, string? requested);

    /// <summary>Queues the join's <c>ok</c>, then the history (or what a resume missed), then the room's events.</summary>
    ValueTask JoinAsync(ChatMember member, ChatJoinRequest request, Server.RequestContext join);

    ValueTask LeaveAsync(ChatMember member);

    ValueTask<long> SayAsync(ChatMember member, string? roomName, ReadOnlyMemory<byte> text);

    ValueTask PrivateAsync(ChatMember member, string? to, ReadOnlyMemory<byte> text);

    ValueTask<ChatWhoMessage> WhoAsync(ChatMember member, string? roomName);

    ValueTask<ChatRoomsReply> RoomsAsync();

    /// <summary>Takes a disconnected member out of its room (announced with <paramref name="reason"/>) and frees its nick.</summary>
    ValueTask RemoveAsync(ChatMember member, string reason);

    /// <summary>The servers sharing this chat, for <c>stats</c>; null for a chat in this process only.</summary>
    ValueTask<Contracts.Stats.StatsChatCluster?> DescribeClusterAsync(CancellationToken cancellationToken) => ValueTask.FromResult<Contracts.Stats.StatsChatCluster?>(null);
}

namespace Ferry.Services.Chat.Redis;

/// <summary>
/// The chat's Redis backplane (<c>ferry serve --chat-redis</c>): every server given the same Redis (and
/// <see cref="KeyPrefix"/>) is one chat. Without it (<c>FerryHostOptions.ChatRedis</c> null) the chat stays in-process.
/// </summary>
public sealed class RedisChatOptions
{
    /// <summary>The address as the user gave it (<c>redis://HOST:PORT[/DB][?password=...]</c>); shown in messages.</summary>
    public string Address { get; set; } = "redis://127.0.0.1:6379";

    /// <summary>Prefix of every key and channel, so several chats (or other programs) can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "ferry:chat:";

    /// <summary>How often this server renews its presence key (and looks for servers that stopped renewing theirs).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a presence key lives without renewal: a server silent this long counts as lost, its members are
    /// announced as left (<c>server lost</c>) and their nicks freed, at the latest one interval later.
    /// </summary>
    public TimeSpan HeartbeatTimeToLive { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>How long connecting at start may take before the server gives up (one line naming the address).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>This server's id in Redis (random when null): its presence key and its private-message channel.</summary>
    public string? ServerId { get; set; }
}

using Ferry.Contracts.Chat;
namespace Ferry.Services.Chat;

/// <summary>Limits of the chat service (<c>ferry serve --chat-*</c>).</summary>
public sealed class ChatOptions
{
    /// <summary>Messages kept per room and replayed on join.</summary>
    public int HistorySize { get; set; } = 50;

    /// <summary>The largest message, in bytes of UTF-8 text.</summary>
    public int MaxTextBytes { get; set; } = 4096;

    /// <summary>
    /// Events queued for one member before it counts as stuck and is disconnected. Sized so a reader that is
    /// merely slow for a moment survives bursts, while a stopped one cannot grow server memory.
    /// </summary>
    public int SendQueueCapacity { get; set; } = 1024;

    /// <summary>The longest nick, in characters.</summary>
    public int MaxNickLength { get; set; } = 32;

    /// <summary>
    /// How long a room with history but no members is kept (<c>--chat-room-lifetime</c>); then it and its history are
    /// freed. Without this, rooms once spoken in were never freed: their history pinned memory and their number
    /// filled <see cref="MaxRooms"/> until a restart.
    /// </summary>
    public TimeSpan EmptyRoomLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Rooms on the whole server (a new room beyond it is <c>busy</c>).</summary>
    public int MaxRooms { get; set; } = 10_000;

    /// <summary>
    /// Rooms one user (account name; every shared-key client is the user <c>key</c>) may have created that still exist
    /// (<c>--chat-max-rooms-per-user</c>). Bounds one user's history at rooms × <see cref="HistorySize"/> ×
    /// <see cref="MaxTextBytes"/> (default 100 × 50 × 4 KiB = 20 MiB).
    /// </summary>
    public int MaxRoomsPerUser { get; set; } = 100;

    /// <summary>The longest room name, in characters.</summary>
    public int MaxRoomLength { get; set; } = 64;
}

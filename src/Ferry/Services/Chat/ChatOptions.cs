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

    public int MaxNickLength { get; set; } = 32;

    public int MaxRoomLength { get; set; } = 64;
}

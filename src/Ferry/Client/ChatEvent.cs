namespace Ferry.Client;

/// <summary>
/// Something that happened in a chat: <c>message</c> (in the room), <c>private</c> (to you), <c>join</c>,
/// <c>leave</c>, <c>nick</c>; with a Redis backplane also <c>degraded</c>, <c>recovered</c> and <c>reset</c> (the room's
/// numbering restarted in a new <see cref="Epoch"/>). <see cref="Text"/> is exactly what the server sent; strip control characters
/// (<see cref="Contracts.Chat.ChatText.StripControls"/>) before showing it on a terminal.
/// </summary>
public sealed record ChatEvent(
    string Kind,
    string? Room,
    string? From,
    DateTimeOffset Time,
    string? Text = null,
    string? To = null,
    string? Nick = null,
    long Seq = 0,
    bool History = false,
    string? Reason = null,
    string? Epoch = null);

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Client;
using Ferry.Contracts.Chat;

namespace Ferry.Cli.Commands.Chat;

/// <summary>
/// Turns chat events into lines: text (optionally coloured per sender) or one JSON object each. Every string that
/// came from the network has its control characters stripped, so nobody can move the cursor or clear the screen.
/// </summary>
internal sealed class ChatEventFormatter(bool colour)
{
    // Readable on dark and light backgrounds; a nick always gets the same one.
    private static readonly int[] s_palette = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96];

    public string Format(ChatEvent e)
    {
        var time = e.Time.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        var from = Nick(e.From);
        var text = ChatText.StripControls(e.Text ?? "");
        var room = ChatText.StripControls(e.Room ?? "");
        return e.Kind switch
        {
            "message" when e.History => Dim($"[{time}] (history) ") + $"<{from}> {text}",
            "message" => $"{Dim($"[{time}]")} <{from}> {text}",
            "private" => $"{Dim($"[{time}]")} *{from}* (private) {text}",
            "join" => Dim($"[{time}] * {Strip(e.From)} joined {room}"),
            "leave" => Dim($"[{time}] * {Strip(e.From)} left {room}{(e.Reason is null or "left" ? "" : $" ({Strip(e.Reason)})")}"),
            "nick" => Dim($"[{time}] * {Strip(e.From)} is now known as {Strip(e.Nick)}"),
            "notice" => Dim($"[{time}] * {text}"),
            "degraded" => Dim($"[{time}] * chat is degraded: {Strip(e.Reason)}"),
            "recovered" => Dim($"[{time}] * chat has recovered; messages can be sent again"),
            "reset" => Dim($"[{time}] * the history of {room} was lost ({Strip(e.Reason)})"),
            _ => $"[{time}] {Strip(e.Kind)} {from} {text}",
        };
    }

    public static string Json(ChatEvent e) => JsonSerializer.Serialize(e, ChatCliJsonContext.Default.ChatEvent);

    public string Notice(string text) => colour ? $"\u001b[2m{text}\u001b[0m" : text;

    public string Error(string text) => colour ? $"\u001b[31m{text}\u001b[0m" : text;

    private string Nick(string? nick)
    {
        var clean = Strip(nick);
        if (!colour) return clean;
        int hash = 0;
        foreach (char c in clean) hash = (hash * 31) + c;
        return $"\u001b[{s_palette[(hash & int.MaxValue) % s_palette.Length]}m{clean}\u001b[0m";
    }

    private string Dim(string text) => colour ? $"\u001b[2m{text}\u001b[0m" : text;

    private static string Strip(string? text) => ChatText.StripControls(text ?? "?");
}

// Optional fields (seq, to, nick, history, reason) are left out when unset; time is ISO 8601 UTC like every --json.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault, Converters = [typeof(Infrastructure.UtcTimestampConverter)])]
[JsonSerializable(typeof(ChatEvent))]
internal sealed partial class ChatCliJsonContext : JsonSerializerContext
{
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ferry.Contracts.Chat;
using Ferry.Protocol;

namespace Ferry.Services.Chat.Redis;

/// <summary>A room message as the log and the events channel carry it (the seq is the log entry's id).</summary>
internal sealed record RedisChatEntry
{
    public string? Room { get; init; }

    public string? From { get; init; }

    public long Time { get; init; }

    public string? Text { get; init; }
}

/// <summary>A private message on the recipient server's inbox channel.</summary>
internal sealed record RedisChatPrivate
{
    public string? From { get; init; }

    public string? To { get; init; }

    public long Time { get; init; }

    public string? Text { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(RedisChatEntry))]
[JsonSerializable(typeof(RedisChatPrivate))]
internal sealed partial class RedisChatJsonContext : JsonSerializerContext
{
}

/// <summary>One thing published on the events channel, parsed and checked.</summary>
internal sealed record RedisChatPublished(string RoomKey, long Seq, string? Epoch, ChatEventMessage? Presence, byte[]? Entry = null);

/// <summary>
/// Reads what other servers (or anyone else with access to the Redis) wrote, as hostile input: sizes bounded,
/// JSON through the source-generated contracts, names and text checked with the same rules as a client's
/// request. Anything that fails is null, and the caller skips it. Pure.
/// </summary>
internal static class RedisChatWire
{
    private const int MaxEpochLength = 64;
    private const int MaxReasonLength = 200;

    /// <summary>The largest payload worth parsing: a message of <paramref name="maxTextBytes"/> JSON-escaped, plus its fields.</summary>
    public static int MaxPayload(int maxTextBytes) => maxTextBytes * 6 + 1024;

    public static string RoomKey(string room) => room.ToLowerInvariant();

    public static string NickKey(string nick) => nick.ToLowerInvariant();

    public static byte[] EncodeEntry(string room, string from, long time, string text) =>
        JsonSerializer.SerializeToUtf8Bytes(new RedisChatEntry { Room = room, From = from, Time = time, Text = text }, RedisChatJsonContext.Default.RedisChatEntry);

    public static byte[] EncodePrivate(string from, string to, long time, string text) =>
        JsonSerializer.SerializeToUtf8Bytes(new RedisChatPrivate { From = from, To = to, Time = time, Text = text }, RedisChatJsonContext.Default.RedisChatPrivate);

    /// <summary><c>e ROOMKEY JSON</c>: a presence event (join, leave, nick) for the events channel.</summary>
    public static byte[] EncodePresence(string roomKey, ChatEventMessage presence)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(presence, ChatJsonContext.Default.ChatEventMessage);
        var prefix = Encoding.UTF8.GetBytes("e " + roomKey + " ");
        return [.. prefix, .. json];
    }

    /// <summary>
    /// Parses <c>m ROOMKEY SEQ EPOCH JSON</c> (a message: only its room, seq and epoch are used, the log is read for
    /// the rest) or <c>e ROOMKEY JSON</c> (a presence event, checked whole).
    /// </summary>
    public static RedisChatPublished? ParsePublished(ReadOnlySpan<byte> payload, ChatOptions options)
    {
        if (payload.Length < 4 || payload.Length > MaxPayload(options.MaxTextBytes) || payload[1] != (byte)' ') return null;
        var rest = payload[2..];
        if (!TakeWord(ref rest, out var roomKey) || !IsName(roomKey, options.MaxRoomLength) || roomKey != RoomKey(roomKey)) return null;
        if (payload[0] == (byte)'m')
        {
            if (!TakeWord(ref rest, out var seqText) || !long.TryParse(seqText, NumberStyles.None, CultureInfo.InvariantCulture, out long seq) || seq < 1) return null;
            if (!TakeWord(ref rest, out var epoch) || !IsEpoch(epoch)) return null;
            return new RedisChatPublished(roomKey, seq, epoch, null, rest.ToArray());
        }
        if (payload[0] != (byte)'e') return null;
        var presence = ParsePresence(rest, options);
        return presence is null || RoomKey(presence.Room!) != roomKey ? null : new RedisChatPublished(roomKey, 0, null, presence);
    }

    private static ChatEventMessage? ParsePresence(ReadOnlySpan<byte> json, ChatOptions options)
    {
        ChatEventMessage? e;
        try
        {
            e = JsonSerializer.Deserialize(json, ChatJsonContext.Default.ChatEventMessage);
        }
        catch (JsonException)
        {
            return null;
        }
        if (e is null || e.Kind is not ("join" or "leave" or "nick")) return null;
        if (!IsName(e.Room, options.MaxRoomLength) || !IsName(e.From, options.MaxNickLength)) return null;
        if (e.Kind == "nick" && !IsName(e.Nick, options.MaxNickLength)) return null;
        string? reason = null;
        if (e.Kind == "leave")
        {
            reason = e.Reason is null ? "left" : ChatText.StripControls(e.Reason.Length > MaxReasonLength ? e.Reason[..MaxReasonLength] : e.Reason);
        }
        // Only the fields a presence event has; anything else someone added is dropped.
        return new ChatEventMessage { Kind = e.Kind, Room = e.Room, From = e.From, Nick = e.Kind == "nick" ? e.Nick : null, Time = e.Time, Reason = reason };
    }

    /// <summary>A log entry's fields: its seq (from the id <c>SEQ-0</c>) and message, checked; null when anything is off.</summary>
    public static (long Seq, RedisChatEntry Entry, byte[] Text)? ParseEntry(string? id, ReadOnlySpan<byte> json, ChatOptions options)
    {
        if (id is null || !id.EndsWith("-0", StringComparison.Ordinal)
            || !long.TryParse(id.AsSpan(0, id.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out long seq) || seq < 1) return null;
        if (json.Length > MaxPayload(options.MaxTextBytes)) return null;
        RedisChatEntry? entry;
        try
        {
            entry = JsonSerializer.Deserialize(json, RedisChatJsonContext.Default.RedisChatEntry);
        }
        catch (JsonException)
        {
            return null;
        }
        if (entry is null || !IsName(entry.Room, options.MaxRoomLength) || !IsName(entry.From, options.MaxNickLength)) return null;
        var text = CheckText(entry.Text, options);
        return text is null ? null : (seq, entry, text);
    }

    public static (RedisChatPrivate Message, byte[] Text)? ParsePrivate(ReadOnlySpan<byte> payload, ChatOptions options)
    {
        if (payload.Length < 3 || payload.Length > MaxPayload(options.MaxTextBytes) || payload[0] != (byte)'p' || payload[1] != (byte)' ') return null;
        RedisChatPrivate? message;
        try
        {
            message = JsonSerializer.Deserialize(payload[2..], RedisChatJsonContext.Default.RedisChatPrivate);
        }
        catch (JsonException)
        {
            return null;
        }
        if (message is null || !IsName(message.From, options.MaxNickLength) || !IsName(message.To, options.MaxNickLength)) return null;
        var text = CheckText(message.Text, options);
        return text is null ? null : (message, text);
    }

    /// <summary>
    /// A server's alive key, <c>"NOW MEMBERS"</c> (Unix ms, members in rooms there): null when it is anything else
    /// (an older server wrote <c>1</c>, or someone else wrote the key).
    /// </summary>
    public static (long Time, int Members)? ParseBeat(string? value)
    {
        if (value is null || value.Length > 48) return null;
        int space = value.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0) return null;
        if (!long.TryParse(value.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out long time)
            || !int.TryParse(value.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int members)) return null;
        return (time, members);
    }

    public static bool IsName(string? name, int maxLength)
    {
        if (string.IsNullOrEmpty(name) || name.Length > maxLength) return false;
        foreach (char c in name)
        {
            if (!char.IsLetterOrDigit(c) && c is not ('_' or '-' or '.')) return false;
        }
        return true;
    }

    public static bool IsEpoch(string? epoch) =>
        !string.IsNullOrEmpty(epoch) && epoch.Length <= MaxEpochLength && epoch.All(char.IsAsciiLetterOrDigit);

    private static byte[]? CheckText(string? text, ChatOptions options)
    {
        if (text is null || text.Length > options.MaxTextBytes) return null;
        var bytes = Encoding.UTF8.GetBytes(text);
        try
        {
            ChatText.Validate(bytes, options.MaxTextBytes);
        }
        catch (FerryException)
        {
            return null;
        }
        return bytes;
    }

    private static bool TakeWord(ref ReadOnlySpan<byte> rest, out string word)
    {
        int space = rest.IndexOf((byte)' ');
        word = "";
        if (space <= 0 || space > 256) return false;
        var bytes = rest[..space];
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) return false;
        word = Encoding.UTF8.GetString(bytes);
        rest = rest[(space + 1)..];
        return true;
    }
}

using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ferry.Datagrams;

/// <summary>
/// One UDP chat datagram: a JSON object whose last field, <c>mac</c>, is HMAC-SHA256 (shared key) over the
/// datagram's bytes up to that field with the closing brace put back, i.e. over
/// <c>{"v":1,"kind":...,"ts":...,"nonce":"..."}</c> exactly as sent. The timestamp and random nonce let receivers
/// refuse replays (<see cref="UdpReplayGuard"/>). Kinds: <c>join</c>, <c>ping</c> (keep-alive), <c>say</c>,
/// <c>leave</c> from members; <c>message</c>, <c>join</c>, <c>leave</c> relayed by the server. The signed
/// <c>dir</c> says which way a datagram goes (<see cref="Up"/> member → relay, <see cref="Down"/> relay → member),
/// so the relay's own output, sent back to it by someone who only overheard it, is never taken for member input.
/// </summary>
public sealed record UdpChatPacket(string Kind, string Room, string Nick, string? Text, long Timestamp, string Nonce)
{
    /// <summary>The default largest datagram: below the common 1280-byte IPv6 minimum MTU, so nothing fragments.</summary>
    public const int DefaultMaxDatagram = 1200;

    /// <summary>The <c>dir</c> of a datagram a member sends to the relay.</summary>
    public const string Up = "up";

    /// <summary>The <c>dir</c> of a datagram the relay sends to members.</summary>
    public const string Down = "down";

    /// <summary>Which way the datagram goes: <see cref="Up"/> or <see cref="Down"/> (signed like every other field).</summary>
    public string Direction { get; init; } = Up;

    private static readonly byte[] s_macPrefix = ",\"mac\":\""u8.ToArray();
    private const int MacBase64Length = 44; // 32 bytes
    private static readonly int s_suffixLength = s_macPrefix.Length + MacBase64Length + 2; // ,"mac":"...."}

    /// <summary>A packet stamped now with a fresh random nonce, going <paramref name="direction"/>.</summary>
    public static UdpChatPacket Create(string kind, string room, string nick, string? text, TimeProvider? time = null, string direction = Up) =>
        new(kind, room, nick, text, (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds(),
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)))
        {
            Direction = direction,
        };

    /// <summary>Encodes and signs the packet.</summary>
    public byte[] Encode(ReadOnlySpan<byte> key)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("v"u8, 1);
            json.WriteString("dir"u8, Direction);
            json.WriteString("kind"u8, Kind);
            json.WriteString("room"u8, Room);
            json.WriteString("nick"u8, Nick);
            if (Text is not null) json.WriteString("text"u8, Text);
            json.WriteNumber("ts"u8, Timestamp);
            json.WriteString("nonce"u8, Nonce);
            json.WriteEndObject();
        }
        var signed = buffer.WrittenSpan;
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, signed, mac);
        var result = new byte[signed.Length - 1 + s_suffixLength];
        signed[..^1].CopyTo(result);
        int at = signed.Length - 1;
        s_macPrefix.CopyTo(result.AsSpan(at));
        at += s_macPrefix.Length;
        Encoding.ASCII.GetBytes(Convert.ToBase64String(mac), result.AsSpan(at));
        at += MacBase64Length;
        result[at] = (byte)'"';
        result[at + 1] = (byte)'}';
        return result;
    }

    /// <summary>
    /// Checks the MAC and parses. Returns false with a reason for anything forged, damaged or malformed;
    /// replays are the caller's check (<see cref="UdpReplayGuard"/>).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> key, out UdpChatPacket? packet, out string error)
    {
        packet = null;
        if (datagram.Length < s_suffixLength + 2 || datagram[^1] != (byte)'}' || datagram[^2] != (byte)'"'
            || !datagram[^s_suffixLength..].StartsWith(s_macPrefix))
        {
            error = "not a signed Ferry chat datagram (no trailing \"mac\")";
            return false;
        }
        Span<byte> claimed = stackalloc byte[33];
        if (!Convert.TryFromBase64Chars(Encoding.ASCII.GetString(datagram.Slice(datagram.Length - 2 - MacBase64Length, MacBase64Length)), claimed, out int macLength)
            || macLength != 32)
        {
            error = "malformed mac";
            return false;
        }
        int signedLength = datagram.Length - s_suffixLength + 1;
        var signed = signedLength <= 2048 ? stackalloc byte[signedLength] : new byte[signedLength];
        datagram[..(signedLength - 1)].CopyTo(signed);
        signed[^1] = (byte)'}';
        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(key, signed, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, claimed[..32]))
        {
            error = "bad mac (wrong key or altered datagram)";
            return false;
        }
        try
        {
            var reader = new Utf8JsonReader(signed);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("v", out var v) || v.GetInt32() != 1)
            {
                error = "unsupported datagram version";
                return false;
            }
            string? Str(string name) => root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            var kind = Str("kind");
            var room = Str("room");
            var nick = Str("nick");
            var nonce = Str("nonce");
            var direction = Str("dir");
            if (direction is not (Up or Down))
            {
                error = "missing or unknown 'dir' (\"up\" from a member, \"down\" from the relay)";
                return false;
            }
            if (kind is null || room is null || nick is null || nonce is null || !root.TryGetProperty("ts", out var ts) || !ts.TryGetInt64(out long timestamp))
            {
                error = "missing kind, room, nick, ts or nonce";
                return false;
            }
            packet = new UdpChatPacket(kind, room, nick, Str("text"), timestamp, nonce) { Direction = direction };
            error = "";
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            error = "malformed JSON";
            return false;
        }
    }
}

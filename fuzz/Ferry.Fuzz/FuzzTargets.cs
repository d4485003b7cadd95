using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ferry.Datagrams;
using Ferry.Protocol;
using Ferry.Security;
using Ferry.Security.Scram;
using Ferry.Contracts.Chat;
using Ferry.Contracts.Echo;
using Ferry.Contracts.Exec;
using Ferry.Contracts.Files;
using Ferry.Services.Files;
using Ferry.Contracts.Stats;
using Ferry.Tests.Infrastructure;

namespace Ferry.Fuzz;

/// <summary>A parser broke one of its properties (as opposed to failing the documented way).</summary>
public sealed class FuzzPropertyException(string message) : Exception(message);

/// <summary>
/// Every parser that takes network bytes, as a function of arbitrary bytes: each returns normally when the parser
/// accepted or refused the input the documented way, and throws otherwise (an undocumented exception escapes as is;
/// a broken property is a <see cref="FuzzPropertyException"/>). The same functions run under afl++ (fuzz/run.sh),
/// replay the committed crash corpus and back the FsCheck properties in tests/Ferry.Tests/Fuzz.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The targets by name, as fuzz/run.sh and the corpus folders call them.</summary>
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["frame"] = data => Frame(data),
        ["json"] = data => Json(data),
        ["scram"] = data => Scram(data),
        ["sntp"] = data => Sntp(data),
        ["udpchat"] = data => UdpChat(data),
        ["path"] = data => RemotePath(data),
        ["redis"] = data => RedisWire(data),
    };

    /// <summary>Every JSON contract the server or the client reads from the other side, by message.</summary>
    public static IReadOnlyList<(string Message, JsonTypeInfo TypeInfo)> Contracts { get; } =
    [
        (MessageTypes.Hello, ProtocolJsonContext.Default.HelloRequest),
        (MessageTypes.Hello + " (answer)", ProtocolJsonContext.Default.HelloResponse),
        (MessageTypes.Error, ProtocolJsonContext.Default.ErrorMessage),
        (MessageTypes.AuthKeyChallenge, AuthJsonContext.Default.KeyChallengeMessage),
        (MessageTypes.AuthKeyProof, AuthJsonContext.Default.KeyProofMessage),
        (MessageTypes.AuthScramStart, AuthJsonContext.Default.ScramMessage),
        (MessageTypes.AuthOk, AuthJsonContext.Default.AuthOkMessage),
        (MessageTypes.Echo, EchoJsonContext.Default.EchoRequest),
        (MessageTypes.ExecStart, ExecJsonContext.Default.ExecStartRequest),
        (MessageTypes.ExecStdin, ExecJsonContext.Default.ExecStdinMessage),
        (MessageTypes.ExecExit, ExecJsonContext.Default.ExecExitMessage),
        (MessageTypes.FilePut, FilesJsonContext.Default.FilePutRequest),
        (MessageTypes.FileGet, FilesJsonContext.Default.FileGetRequest),
        (MessageTypes.FileReady, FilesJsonContext.Default.FileReady),
        (MessageTypes.FileData, FilesJsonContext.Default.FileData),
        (MessageTypes.FileDone, FilesJsonContext.Default.FileDone),
        (MessageTypes.FileDone + " (result)", FilesJsonContext.Default.FileResult),
        (MessageTypes.FileStat, FilesJsonContext.Default.FilePathRequest),
        (MessageTypes.FileList + " (answer)", FilesJsonContext.Default.FileListing),
        (MessageTypes.ChatJoin, ChatJsonContext.Default.ChatJoinRequest),
        (MessageTypes.ChatJoin + " (answer)", ChatJsonContext.Default.ChatJoinReply),
        (MessageTypes.ChatSay, ChatJsonContext.Default.ChatSayRequest),
        (MessageTypes.ChatSay + " (answer)", ChatJsonContext.Default.ChatSayReply),
        (MessageTypes.ChatMsg, ChatJsonContext.Default.ChatMsgRequest),
        (MessageTypes.ChatNick, ChatJsonContext.Default.ChatNickMessage),
        (MessageTypes.ChatWho, ChatJsonContext.Default.ChatWhoMessage),
        (MessageTypes.ChatRooms + " (answer)", ChatJsonContext.Default.ChatRoomsReply),
        (MessageTypes.ChatEvent, ChatJsonContext.Default.ChatEventMessage),
        (MessageTypes.Stats + " (answer)", StatsJsonContext.Default.StatsResponse),
    ];

    /// <summary>
    /// The frame codec as a connection drives it: the input, cut into segments where its first byte says, read
    /// header after header (skipping each body) until it needs more bytes or refuses them with a
    /// <see cref="ProtocolException"/>. Never reads past what it was given, never consumes on "need more".
    /// </summary>
    public static void Frame(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        int step = data[0] % 17 + 1;
        var bytes = data[1..].ToArray();
        var cuts = new List<int>();
        for (int at = step; at < bytes.Length; at += step + (at % 5)) cuts.Add(at);
        var sequence = SequenceFactory.Split(bytes, [.. cuts]);
        var reader = new SequenceReader<byte>(sequence);
        int limit = data[0] < 128 ? FrameCodec.DefaultMaxHeaderBytes : 256;
        try
        {
            while (true)
            {
                long before = reader.Consumed;
                if (!FrameCodec.TryReadHeader(ref reader, limit, out var header))
                {
                    if (reader.Consumed != before) throw new FuzzPropertyException("TryReadHeader consumed bytes and asked for more");
                    return;
                }
                long headerBytes = reader.Consumed - before - FrameCodec.LengthPrefixBytes;
                if (headerBytes < 2 || headerBytes > limit || header.Json.Length != headerBytes)
                {
                    throw new FuzzPropertyException($"a header of {header.Json.Length} bytes came from {headerBytes} consumed (limit {limit})");
                }
                if (header.Id < 0 || header.Size < 0 || header.Type is null) throw new FuzzPropertyException($"bad envelope {header}");
                if (reader.Remaining < header.Size) return;
                reader.Advance(header.Size);
            }
        }
        catch (ProtocolException)
        {
            // The documented refusal: the connection sends an error frame and closes.
        }
        if (reader.Consumed > bytes.Length) throw new FuzzPropertyException("the reader went past the input");
    }

    /// <summary>
    /// A header, then the message contract picked by the first byte: the envelope parse refuses only with a
    /// <see cref="ProtocolException"/>, and reading the message's own fields only with a
    /// <see cref="FerryException"/> of <see cref="ProtocolError.BadRequest"/> (which leaves the connection usable).
    /// </summary>
    public static void Json(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        var (message, typeInfo) = Contracts[data[0] % Contracts.Count];
        var json = new ReadOnlySequence<byte>(data[1..].ToArray());
        FrameHeader header;
        try
        {
            header = FrameCodec.ParseHeader(json);
        }
        catch (ProtocolException)
        {
            return;
        }
        ReadContract(header, typeInfo, message);
    }

    /// <summary>Reads one message's fields from a parsed header, failing only as <see cref="FrameHeader.ReadPayload"/> documents.</summary>
    public static void ReadContract(FrameHeader header, JsonTypeInfo typeInfo, string message)
    {
        try
        {
            s_readers[typeInfo](header);
        }
        catch (FerryException ex) when (ex is not ProtocolException)
        {
            if (ex.Error != ProtocolError.BadRequest) throw new FuzzPropertyException($"{message}: refused with {ex.Code}, not bad_request: {ex.Message}");
        }
    }

    // ReadPayload is generic over the message type; one closed call per contract, without reflection.
    private static readonly Dictionary<JsonTypeInfo, Action<FrameHeader>> s_readers = Contracts.ToDictionary(c => c.TypeInfo, c => Reader(c.TypeInfo));

    private static Action<FrameHeader> Reader(JsonTypeInfo typeInfo) => typeInfo switch
    {
        JsonTypeInfo<HelloRequest> t => h => h.ReadPayload(t),
        JsonTypeInfo<HelloResponse> t => h => h.ReadPayload(t),
        JsonTypeInfo<ErrorMessage> t => h => h.ReadPayload(t),
        JsonTypeInfo<KeyChallengeMessage> t => h => h.ReadPayload(t),
        JsonTypeInfo<KeyProofMessage> t => h => h.ReadPayload(t),
        JsonTypeInfo<ScramMessage> t => h => h.ReadPayload(t),
        JsonTypeInfo<AuthOkMessage> t => h => h.ReadPayload(t),
        JsonTypeInfo<EchoRequest> t => h => h.ReadPayload(t),
        JsonTypeInfo<ExecStartRequest> t => h => h.ReadPayload(t),
        JsonTypeInfo<ExecStdinMessage> t => h => h.ReadPayload(t),
        JsonTypeInfo<ExecExitMessage> t => h => h.ReadPayload(t),
        JsonTypeInfo<FilePutRequest> t => h => h.ReadPayload(t),
        JsonTypeInfo<FileGetRequest> t => h => h.ReadPayload(t),
        JsonTypeInfo<FileReady> t => h => h.ReadPayload(t),
        JsonTypeInfo<FileData> t => h => h.ReadPayload(t),
        JsonTypeInfo<FileDone> t => h => h.ReadPayload(t),
        JsonTypeInfo<FileResult> t => h => h.ReadPayload(t),
        JsonTypeInfo<FilePathRequest> t => h => h.ReadPayload(t),
        JsonTypeInfo<FileListing> t => h => h.ReadPayload(t),
        JsonTypeInfo<ChatJoinRequest> t => h => h.ReadPayload(t),
        JsonTypeInfo<ChatJoinReply> t => h => h.ReadPayload(t),
        JsonTypeInfo<ChatSayRequest> t => h => h.ReadPayload(t),
        JsonTypeInfo<ChatSayReply> t => h => h.ReadPayload(t),
        JsonTypeInfo<ChatMsgRequest> t => h => h.ReadPayload(t),
        JsonTypeInfo<ChatNickMessage> t => h => h.ReadPayload(t),
        JsonTypeInfo<ChatWhoMessage> t => h => h.ReadPayload(t),
        JsonTypeInfo<ChatRoomsReply> t => h => h.ReadPayload(t),
        JsonTypeInfo<ChatEventMessage> t => h => h.ReadPayload(t),
        JsonTypeInfo<StatsResponse> t => h => h.ReadPayload(t),
        _ => throw new InvalidOperationException($"no reader for {typeInfo.Type}"),
    };

    private static readonly ScramCredential s_credential = ScramSha256.CreateCredential("fuzz password", ScramSha256.MinIterations);
    private static readonly byte[] s_decoySecret = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] s_certificateHash = SHA256.HashData("fuzz certificate"u8);

    /// <summary>
    /// The server side of SCRAM: the input (as UTF-8) is the client-first message, a newline, the client-final
    /// message. Each step refuses only with a <see cref="ScramException"/>; a proof that is not the password's never passes.
    /// </summary>
    public static void Scram(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        var binding = (data[0] & 1) == 0 ? ScramChannelBinding.None : ScramChannelBinding.ForServerCertificateHash(s_certificateHash);
        var text = Encoding.UTF8.GetString(data[1..]);
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        var first = newline < 0 ? text : text[..newline];
        var final = newline < 0 ? "" : text[(newline + 1)..];
        var server = new ScramServer(name => name == "fuzz" ? s_credential : null, binding, s_decoySecret, ScramSha256.MinIterations, "SERVERNONCE");
        try
        {
            server.HandleClientFirst(first);
        }
        catch (ScramException)
        {
            return;
        }
        try
        {
            server.HandleClientFinal(final);
        }
        catch (ScramException)
        {
            return;
        }
        // Only the password's proof passes; a fuzzer that finds one has found a forgery.
        throw new FuzzPropertyException($"a SCRAM exchange passed without the password: '{first}' / '{final}'");
    }

    /// <summary>
    /// The 48-byte NTP header: never throws, reads only the first 48 bytes, and writing what it read gives those
    /// bytes back; the server's request filter and the reference-id text never throw either.
    /// </summary>
    public static void Sntp(ReadOnlySpan<byte> data)
    {
        bool read = SntpPacket.TryRead(data, out var packet);
        if (read != data.Length >= SntpPacket.Size) throw new FuzzPropertyException($"TryRead said {read} for {data.Length} bytes");
        _ = SntpServer.TryReadRequest(data, out _, out _, out _);
        if (!read) return;
        Span<byte> written = stackalloc byte[SntpPacket.Size];
        packet.Write(written);
        if (!written.SequenceEqual(data[..SntpPacket.Size])) throw new FuzzPropertyException("the packet did not round-trip");
        _ = packet.ReferenceIdText;
        _ = packet.IsKissOfDeath;
    }

    private static readonly byte[] s_chatKey = SHA256.HashData("fuzz chat key"u8);

    /// <summary>
    /// The UDP chat datagram, twice: as received (the MAC check refuses nearly everything), and signed with the key
    /// when it ends in '}', so the JSON behind the MAC is reached. Never throws; whatever decodes re-encodes to itself.
    /// </summary>
    public static void UdpChat(ReadOnlySpan<byte> data)
    {
        Decode(data);
        if (data.Length >= 2 && data[^1] == (byte)'}' && data.Length < 4096) Decode(Sign(data));
    }

    /// <summary>A datagram with a valid MAC over <paramref name="json"/> (an object ending in '}'), as a member would sign it.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> json)
    {
        var mac = Convert.ToBase64String(HMACSHA256.HashData(s_chatKey, json));
        return [.. json[..^1], .. ",\"mac\":\""u8, .. Encoding.ASCII.GetBytes(mac), .. "\"}"u8];
    }

    private static void Decode(ReadOnlySpan<byte> datagram)
    {
        if (!UdpChatPacket.TryDecode(datagram, s_chatKey, out var packet, out var error))
        {
            if (packet is not null || string.IsNullOrEmpty(error)) throw new FuzzPropertyException("a refusal without a reason, or with a packet");
            return;
        }
        if (packet is null) throw new FuzzPropertyException("decoded to null");
        if (!UdpChatPacket.TryDecode(packet.Encode(s_chatKey), s_chatKey, out var again, out _) || again != packet)
        {
            throw new FuzzPropertyException($"{packet} did not round-trip");
        }
    }

    private static readonly Ferry.Services.Chat.ChatOptions s_chatOptions = new() { MaxTextBytes = 512 };

    /// <summary>
    /// What a chat server reads back from Redis (<see cref="Ferry.Services.Chat.Redis.RedisChatWire"/>), chosen by the
    /// first byte: an events-channel notice, a log entry (<c>ID\nJSON</c>), a private message, a presence value. Never
    /// throws; what is accepted obeys the same rules as a client's request (names, UTF-8 text within the size), and an
    /// accepted entry or presence value re-encodes to one that parses the same.
    /// </summary>
    public static void RedisWire(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        var rest = data[1..];
        var options = s_chatOptions;
        switch (data[0] % 4)
        {
            case 0:
                if (Ferry.Services.Chat.Redis.RedisChatWire.ParsePublished(rest, options) is { } published)
                {
                    if (!Ferry.Services.Chat.Redis.RedisChatWire.IsName(published.RoomKey, options.MaxRoomLength)
                        || !string.Equals(published.RoomKey, published.RoomKey.ToLowerInvariant(), StringComparison.Ordinal)) throw new FuzzPropertyException($"room key '{published.RoomKey}' accepted");
                    if (published.Presence is { } presence)
                    {
                        if (presence.Kind is not ("join" or "leave" or "nick") || presence.Seq != 0 || presence.To is not null || presence.Epoch is not null)
                            throw new FuzzPropertyException($"presence {presence.Kind} accepted with more than a presence has");
                        if (presence.Reason is { } reason && (reason.Length > 200 || reason.Any(char.IsControl))) throw new FuzzPropertyException("a reason unbounded or with controls");
                    }
                    else if (published.Seq < 1 || !Ferry.Services.Chat.Redis.RedisChatWire.IsEpoch(published.Epoch)) throw new FuzzPropertyException("a notice with a bad seq or epoch");
                }
                break;
            case 1:
                int newline = rest.IndexOf((byte)'\n');
                if (newline < 0) return;
                var id = Encoding.UTF8.GetString(rest[..newline]);
                if (Ferry.Services.Chat.Redis.RedisChatWire.ParseEntry(id, rest[(newline + 1)..], options) is { } entry)
                {
                    CheckText(entry.Text, options);
                    var again = Ferry.Services.Chat.Redis.RedisChatWire.EncodeEntry(entry.Entry.Room!, entry.Entry.From!, entry.Entry.Time, Encoding.UTF8.GetString(entry.Text));
                    if (Ferry.Services.Chat.Redis.RedisChatWire.ParseEntry(id, again, options) is not { } reparsed || reparsed.Seq != entry.Seq
                        || reparsed.Entry != entry.Entry with { Text = reparsed.Entry.Text } || !reparsed.Text.AsSpan().SequenceEqual(entry.Text))
                    {
                        throw new FuzzPropertyException($"log entry {id} did not round-trip");
                    }
                }
                break;
            case 2:
                if (Ferry.Services.Chat.Redis.RedisChatWire.ParsePrivate(rest, options) is { } message)
                {
                    CheckText(message.Text, options);
                    if (!Ferry.Services.Chat.Redis.RedisChatWire.IsName(message.Message.To, options.MaxNickLength)) throw new FuzzPropertyException("a private message to no valid nick");
                }
                break;
            default:
                var value = Encoding.UTF8.GetString(rest);
                if (Ferry.Services.Chat.Redis.RedisChatWire.ParseBeat(value) is { } beat)
                {
                    if (beat.Time < 0 || beat.Members < 0) throw new FuzzPropertyException($"presence '{value}' read as negative");
                    var formatted = FormattableString.Invariant($"{beat.Time} {beat.Members}");
                    if (Ferry.Services.Chat.Redis.RedisChatWire.ParseBeat(formatted) != beat) throw new FuzzPropertyException($"presence '{value}' did not round-trip");
                }
                break;
        }
    }

    private static void CheckText(byte[] text, Ferry.Services.Chat.ChatOptions options)
    {
        if (text.Length > options.MaxTextBytes * 4) throw new FuzzPropertyException($"a text of {text.Length} bytes accepted");
        try
        {
            ChatText.Validate(text, options.MaxTextBytes);
        }
        catch (FerryException ex)
        {
            throw new FuzzPropertyException("accepted text that a client could not send: " + ex.Message);
        }
    }

    /// <summary>
    /// The remote path check (<see cref="FileSandbox.Validate"/>): refuses only with <see cref="ProtocolError.BadPath"/>,
    /// and the names it accepts, joined under any root, stay strictly inside it. The input is UTF-8, or UTF-16 when
    /// its first byte is odd (to reach lone surrogates, which UTF-8 cannot carry).
    /// </summary>
    public static void RemotePath(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        var rest = data[1..];
        var path = (data[0] & 1) == 0 ? Encoding.UTF8.GetString(rest) : new string(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, char>(rest[..(rest.Length & ~1)]));
        List<string> names;
        try
        {
            names = FileSandbox.Validate(path);
        }
        catch (FerryException ex) when (ex is not ProtocolException)
        {
            if (ex.Error != ProtocolError.BadPath) throw new FuzzPropertyException($"refused with {ex.Code}, not bad_path");
            return;
        }
        const string root = "/srv/fuzz-root";
        foreach (var name in names)
        {
            if (name.Length == 0 || name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0)
            {
                throw new FuzzPropertyException($"'{path}' gave the name '{name}'");
            }
        }
        if (names.Count == 0) return;
        var full = Path.GetFullPath(Path.Join(root, string.Join('/', names)));
        if (!full.StartsWith(root + "/", StringComparison.Ordinal)) throw new FuzzPropertyException($"'{path}' resolves to {full}, outside {root}");
    }
}

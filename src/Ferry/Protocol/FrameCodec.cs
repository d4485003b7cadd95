using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace Ferry.Protocol;

/// <summary>
/// The frame layout of docs/protocol.md §2: a 4-byte little-endian signed header length H,
/// H bytes of UTF-8 JSON (an object), then exactly <c>size</c> body bytes. Pure: no I/O.
/// </summary>
public static class FrameCodec
{
    /// <summary>The default header limit once a connection is authenticated.</summary>
    public const int DefaultMaxHeaderBytes = 64 * 1024;

    /// <summary>The bytes of the length prefix.</summary>
    public const int LengthPrefixBytes = 4;

    private static readonly JsonReaderOptions s_readerOptions = new() { MaxDepth = 32 };

    /// <summary>
    /// Reads one header. Returns false when more bytes are needed (reader untouched);
    /// throws <see cref="ProtocolException"/> for bytes that can never become a valid header.
    /// The length is checked before waiting for the header bytes, so an oversized claim fails fast.
    /// </summary>
    public static bool TryReadHeader(ref SequenceReader<byte> reader, int maxHeaderBytes, out FrameHeader header)
    {
        header = default;
        if (!reader.TryReadLittleEndian(out int length)) return false;
        if (length < 0 || length > maxHeaderBytes)
        {
            throw ProtocolException.BadHeaderLength(length, maxHeaderBytes);
        }
        if (reader.Remaining < length)
        {
            reader.Rewind(LengthPrefixBytes);
            return false;
        }
        var json = reader.UnreadSequence.Slice(0, length);
        header = ParseHeader(json);
        reader.Advance(length);
        return true;
    }

    /// <summary>Parses and validates the envelope fields of a complete header.</summary>
    /// <remarks>
    /// A header split across buffer segments is parsed from a contiguous (pooled) copy, never with the reader's
    /// multi-segment path: that path throws <see cref="IndexOutOfRangeException"/> for a literal cut off at the end of
    /// the header (<c>"size":tru</c>; found by fuzz/run.sh frame). Headers are bounded, so the copy is too, and a code
    /// point straddling segments needs one for the UTF-8 check anyway. <see cref="FrameHeader.Json"/> still points
    /// into the receive buffer.
    /// </remarks>
    public static FrameHeader ParseHeader(ReadOnlySequence<byte> json)
    {
        if (json.IsSingleSegment) return ParseHeader(json.FirstSpan, json);
        int length = (int)json.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            json.CopyTo(rented);
            return ParseHeader(rented.AsSpan(0, length), json);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static FrameHeader ParseHeader(ReadOnlySpan<byte> bytes, ReadOnlySequence<byte> json)
    {
        if (!Utf8.IsValid(bytes)) throw new ProtocolException(ProtocolError.InvalidUtf8, "the header is not valid UTF-8");
        string? type = null;
        long id = 0, size = 0;
        bool sawId = false, sawSize = false;
        try
        {
            var reader = new Utf8JsonReader(bytes, s_readerOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ProtocolException(ProtocolError.HeaderNotObject, "the header must be a JSON object");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (type is not null) throw Duplicate("type");
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw new ProtocolException(ProtocolError.MissingType, "the header's 'type' must be a string");
                    }
                    type = ReadInternedString(ref reader);
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    if (sawId) throw Duplicate("id");
                    sawId = true;
                    id = ReadNonNegative(ref reader, ProtocolError.BadId, "id");
                }
                else if (reader.ValueTextEquals("size"u8))
                {
                    reader.Read();
                    if (sawSize) throw Duplicate("size");
                    sawSize = true;
                    size = ReadNonNegative(ref reader, ProtocolError.BadSize, "size");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw new ProtocolException(ProtocolError.InvalidJson, "the header has data after its JSON object");
            }
        }
        catch (JsonException ex)
        {
            throw new ProtocolException(ProtocolError.InvalidJson, $"the header is not valid JSON ({FirstSentence(ex.Message)})");
        }
        catch (InvalidOperationException)
        {
            // Comparing or reading a name or string whose escapes make no text (a lone surrogate, "\ud800"): the
            // reader throws this rather than JsonException. Found by fuzz/run.sh frame.
            throw new ProtocolException(ProtocolError.InvalidJson, "the header has an escape that is not text (a lone UTF-16 surrogate)");
        }
        if (type is null)
        {
            throw new ProtocolException(ProtocolError.MissingType, "the header has no 'type'");
        }
        return new FrameHeader(type, id, size, json);
    }

    /// <summary>Writes the length prefix and the header JSON.</summary>
    public static void WriteHeader(IBufferWriter<byte> output, ReadOnlySpan<byte> headerJson)
    {
        var span = output.GetSpan(LengthPrefixBytes + headerJson.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span, headerJson.Length);
        headerJson.CopyTo(span[LengthPrefixBytes..]);
        output.Advance(LengthPrefixBytes + headerJson.Length);
    }

    private static string ReadInternedString(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped) return MessageTypes.Intern(reader.ValueSpan);
        // An escaped type still resolves to the constant's instance, so callers can compare by reference.
        return MessageTypes.Intern(reader.GetString()!);
    }

    private static long ReadNonNegative(ref Utf8JsonReader reader, ProtocolError error, string name)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value))
        {
            throw new ProtocolException(error, $"the header's '{name}' must be an integer");
        }
        if (value < 0) throw new ProtocolException(error, $"the header's '{name}' must not be negative ({value})");
        return value;
    }

    private static ProtocolException Duplicate(string name) =>
        new(ProtocolError.InvalidJson, $"the header has '{name}' twice");

    private static string FirstSentence(string message)
    {
        int dot = message.IndexOf(". ", StringComparison.Ordinal);
        return dot > 0 ? message[..dot] : message.TrimEnd('.');
    }
}

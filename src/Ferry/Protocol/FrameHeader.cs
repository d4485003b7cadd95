using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Ferry.Protocol;

/// <summary>
/// A parsed frame header: the envelope fields every frame has, plus the raw JSON so a service
/// can read its own fields. <see cref="Json"/> points into the connection's receive buffer and is
/// valid only until the frame's body is read or the handler returns.
/// </summary>
public readonly struct FrameHeader
{
    /// <summary>A parsed header: its envelope fields and the raw JSON the rest is read from.</summary>
    public FrameHeader(string type, long id, long size, ReadOnlySequence<byte> json)
    {
        Type = type;
        Id = id;
        Size = size;
        Json = json;
    }

    /// <summary>The message type, e.g. <c>echo</c> or <c>file.put</c>.</summary>
    public string Type { get; }

    /// <summary>The request id; 0 when the frame carries none.</summary>
    public long Id { get; }

    /// <summary>The number of body bytes that follow the header.</summary>
    public long Size { get; }

    /// <summary>The header's UTF-8 JSON object, as received.</summary>
    public ReadOnlySequence<byte> Json { get; }

    /// <summary>
    /// Reads the header's fields into <typeparamref name="T"/>. Envelope fields are ignored by the
    /// message types; a field of the wrong shape is a <see cref="ProtocolError.BadRequest"/>, which
    /// leaves the connection usable because framing is intact.
    /// </summary>
    public T ReadPayload<T>(JsonTypeInfo<T> typeInfo)
    {
        try
        {
            var reader = new Utf8JsonReader(Json);
            return JsonSerializer.Deserialize(ref reader, typeInfo)
                ?? throw new FerryException(ProtocolError.BadRequest, $"'{Type}' header is null");
        }
        catch (JsonException ex)
        {
            var where = ex.Path is { Length: > 2 } path ? $" at {path}" : "";
            throw new FerryException(ProtocolError.BadRequest, $"'{Type}' header has a field of the wrong type{where}");
        }
    }

    /// <summary><c>type#id size=N</c>, for logs and test messages.</summary>
    public override string ToString() => $"{Type}#{Id} size={Size}";
}

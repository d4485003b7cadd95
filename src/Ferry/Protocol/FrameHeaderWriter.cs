using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Ferry.Protocol;

/// <summary>
/// Builds header JSON — envelope fields first, then the message's own fields in the same flat
/// object — into reusable buffers, so writing a frame allocates nothing in steady state.
/// Not thread-safe: use one per thread (<see cref="ForCurrentThread"/>) or one per connection under its write lock.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The JSON writers write into managed ArrayBufferWriters and hold no unmanaged resource; one writer per thread lives as long as its thread, so there is no point at which to dispose it.")]
internal sealed class FrameHeaderWriter
{
    // Write is synchronous, so one writer per thread serves every connection: an idle connection then holds
    // no header buffers at all (two 256-byte buffers and two JSON writers each, with 10,000 connections, add up).
    [ThreadStatic]
    private static FrameHeaderWriter? t_current;

    private static readonly JsonWriterOptions s_options = new() { SkipValidation = true };

    private readonly ArrayBufferWriter<byte> _envelope = new(256);
    private readonly ArrayBufferWriter<byte> _payload = new(256);
    private readonly Utf8JsonWriter _envelopeWriter;
    private readonly Utf8JsonWriter _payloadWriter;

    public FrameHeaderWriter()
    {
        _envelopeWriter = new Utf8JsonWriter(_envelope, s_options);
        _payloadWriter = new Utf8JsonWriter(_payload, s_options);
    }

    /// <summary>This thread's writer, created on first use.</summary>
    public static FrameHeaderWriter ForCurrentThread => t_current ??= new FrameHeaderWriter();

    /// <summary>Writes length prefix + header for a frame with no message fields.</summary>
    public void Write(IBufferWriter<byte> output, string type, long id, long size) =>
        Write<object>(output, type, id, size, null, null);

    /// <summary>Writes length prefix + header; <paramref name="payload"/>'s properties join the envelope's.</summary>
    public void Write<T>(IBufferWriter<byte> output, string type, long id, long size, T? payload, JsonTypeInfo<T>? typeInfo)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        _envelope.ResetWrittenCount();
        _envelopeWriter.Reset();
        _envelopeWriter.WriteStartObject();
        _envelopeWriter.WriteString("type"u8, type);
        if (id != 0) _envelopeWriter.WriteNumber("id"u8, id);
        if (size != 0) _envelopeWriter.WriteNumber("size"u8, size);
        _envelopeWriter.WriteEndObject();
        _envelopeWriter.Flush();
        var envelope = _envelope.WrittenSpan; // {...}

        ReadOnlySpan<byte> fields = default;
        if (payload is not null && typeInfo is not null)
        {
            _payload.ResetWrittenCount();
            _payloadWriter.Reset();
            JsonSerializer.Serialize(_payloadWriter, payload, typeInfo);
            _payloadWriter.Flush();
            var body = _payload.WrittenSpan;
            if (body.Length < 2 || body[0] != (byte)'{')
            {
                throw new InvalidOperationException($"message of type {typeof(T).Name} must serialize to a JSON object");
            }
            fields = body[1..^1]; // the properties, without the braces
        }

        int length = envelope.Length + (fields.IsEmpty ? 0 : fields.Length + 1);
        var span = output.GetSpan(FrameCodec.LengthPrefixBytes + length);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span, length);
        var rest = span[FrameCodec.LengthPrefixBytes..];
        if (fields.IsEmpty)
        {
            envelope.CopyTo(rest);
        }
        else
        {
            envelope[..^1].CopyTo(rest);
            rest[envelope.Length - 1] = (byte)',';
            fields.CopyTo(rest[envelope.Length..]);
            rest[length - 1] = (byte)'}';
        }
        output.Advance(FrameCodec.LengthPrefixBytes + length);
    }
}

using System.Buffers;
using System.Text;
using Ferry.Protocol;
using Ferry.Contracts.Echo;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Protocol;

public class FrameCodecTests
{
    [Theory]
    [InlineData("""{"type":"echo","id":7,"size":3}""", "echo", 7, 3)]
    [InlineData("""{"type":"hello"}""", "hello", 0, 0)]
    [InlineData("""{ "size" : 0 , "type" : "file.put", "path":"a/b.txt", "id": 9223372036854775807 }""", "file.put", long.MaxValue, 0)]
    [InlineData("""{"type":"x.custom","nested":{"a":[1,2,{"b":null}]},"size":9223372036854775807}""", "x.custom", 0, long.MaxValue)]
    [InlineData("""{"type":"\u0065cho"}""", "echo", 0, 0)]
    public void GoldenHeadersParse(string json, string type, long id, long size)
    {
        var frame = RawFrames.Frame(json);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(frame));
        Assert.True(FrameCodec.TryReadHeader(ref reader, FrameCodec.DefaultMaxHeaderBytes, out var header));
        Assert.Equal(type, header.Type);
        Assert.Equal(id, header.Id);
        Assert.Equal(size, header.Size);
        Assert.Equal(frame.Length, reader.Consumed);
    }

    [Fact]
    public void KnownTypesAreInterned()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(RawFrames.Frame("""{"type":"exec.start"}""")));
        Assert.True(FrameCodec.TryReadHeader(ref reader, 1024, out var header));
        Assert.Same(MessageTypes.ExecStart, header.Type);
    }

    [Fact]
    public void LengthPrefixIsLittleEndianSignedInt32LikePythonStructPackI()
    {
        // struct.pack('i', 17) == b'\x11\x00\x00\x00'
        var frame = RawFrames.Frame("""{"type":"hello"}""");
        Assert.Equal(new byte[] { 16, 0, 0, 0 }, frame[..4]);
        var writer = new ArrayBufferWriter<byte>();
        new FrameHeaderWriter().Write(writer, "hello", 0, 0);
        Assert.Equal(frame, writer.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 5 })]
    [InlineData(new byte[] { 5, 0, 0 })]
    [InlineData(new byte[] { 5, 0, 0, 0, (byte)'{', (byte)'"' })]
    public void IncompleteInputNeedsMoreAndConsumesNothing(byte[] bytes)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        Assert.False(FrameCodec.TryReadHeader(ref reader, 1024, out _));
        Assert.Equal(0, reader.Consumed);
    }

    public static TheoryData<byte[], ProtocolError> BadFrames => new()
    {
        { [0xff, 0xff, 0xff, 0xff], ProtocolError.BadHeaderLength },                   // -1
        { [0x00, 0x00, 0x00, 0x80], ProtocolError.BadHeaderLength },                   // int.MinValue
        { [0x01, 0x04, 0x00, 0x00], ProtocolError.BadHeaderLength },                   // 1025 > limit, fails before the bytes arrive
        { RawFrames.Frame(new byte[] { 0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d }), ProtocolError.InvalidUtf8 },
        { RawFrames.Frame(new byte[] { 0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d }), ProtocolError.InvalidUtf8 },
        { RawFrames.Frame("""{"type":"echo" """), ProtocolError.InvalidJson },
        { RawFrames.Frame("""{"type":"echo"}{}"""), ProtocolError.InvalidJson },
        { RawFrames.Frame("""{"type":"echo","type":"exec.start"}"""), ProtocolError.InvalidJson },
        { RawFrames.Frame("not json"), ProtocolError.InvalidJson },
        { RawFrames.Frame(""), ProtocolError.InvalidJson },
        { RawFrames.Frame("""[1,2]"""), ProtocolError.HeaderNotObject },
        { RawFrames.Frame("\"echo\""), ProtocolError.HeaderNotObject },
        { RawFrames.Frame("""{"id":1}"""), ProtocolError.MissingType },
        { RawFrames.Frame("""{"type":5}"""), ProtocolError.MissingType },
        { RawFrames.Frame("""{"type":"echo","size":-1}"""), ProtocolError.BadSize },
        { RawFrames.Frame("""{"type":"echo","size":1.5}"""), ProtocolError.BadSize },
        { RawFrames.Frame("""{"type":"echo","size":"10"}"""), ProtocolError.BadSize },
        { RawFrames.Frame("""{"type":"echo","size":null}"""), ProtocolError.BadSize },
        { RawFrames.Frame("""{"type":"echo","size":9223372036854775808}"""), ProtocolError.BadSize },
        { RawFrames.Frame("""{"type":"echo","id":-3}"""), ProtocolError.BadId },
        { RawFrames.Frame("""{"type":"echo","id":"x"}"""), ProtocolError.BadId },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public void BadHeadersThrowTypedErrors(byte[] frame, ProtocolError expected)
    {
        var ex = Assert.Throws<ProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(frame));
            FrameCodec.TryReadHeader(ref reader, 1024, out _);
        });
        Assert.Equal(expected, ex.Error);
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public void HeaderSplitAcrossSegmentsAtEveryByteParsesTheSame()
    {
        var frame = RawFrames.Frame("""{"type":"echo","id":42,"size":0,"note":"žluťoučký kůň ✓"}""");
        for (int cut = 0; cut <= frame.Length; cut++)
        {
            var reader = new SequenceReader<byte>(SequenceFactory.Split(frame, cut, cut + 3));
            Assert.True(FrameCodec.TryReadHeader(ref reader, 1024, out var header));
            Assert.Equal(("echo", 42L), (header.Type, header.Id));
        }
    }

    [Fact]
    public void WriterMergesMessageFieldsIntoTheEnvelope()
    {
        var writer = new ArrayBufferWriter<byte>();
        new FrameHeaderWriter().Write(writer, MessageTypes.Echo, 3, 5, new EchoRequest(true), EchoJsonContext.Default.EchoRequest);
        var json = Encoding.UTF8.GetString(writer.WrittenSpan[4..]);
        Assert.Equal("""{"type":"echo","id":3,"size":5,"upper":true}""", json);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(writer.WrittenMemory));
        Assert.True(FrameCodec.TryReadHeader(ref reader, 1024, out var header));
        Assert.True(header.ReadPayload(EchoJsonContext.Default.EchoRequest).Upper);
    }

    [Fact]
    public void WrongFieldTypeInPayloadIsABadRequestNotAFramingError()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(RawFrames.Frame("""{"type":"echo","upper":"yes"}""")));
        Assert.True(FrameCodec.TryReadHeader(ref reader, 1024, out var header));
        var ex = Assert.Throws<FerryException>(() => header.ReadPayload(EchoJsonContext.Default.EchoRequest));
        Assert.IsNotType<ProtocolException>(ex);
        Assert.Equal(ProtocolError.BadRequest, ex.Error);
    }

    [Fact]
    public void ErrorCodesHaveStableWireNames()
    {
        Assert.Equal("bad_header_length", ProtocolErrorCodes.ToWire(ProtocolError.BadHeaderLength));
        Assert.Equal("invalid_utf8", ProtocolErrorCodes.ToWire(ProtocolError.InvalidUtf8));
        Assert.Equal("bad_path", ProtocolErrorCodes.ToWire(ProtocolError.BadPath));
        Assert.True(ProtocolErrorCodes.TryParse("forbidden", out var forbidden));
        Assert.Equal(ProtocolError.Forbidden, forbidden);
        Assert.False(ProtocolErrorCodes.TryParse("nonsense", out _));
    }
}

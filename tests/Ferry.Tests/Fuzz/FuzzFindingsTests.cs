using System.Buffers;
using System.Text;
using System.Text.Json;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Fuzz;

/// <summary>
/// What fuzz/run.sh found, pinned down one by one (the raw crash inputs replay in <see cref="CorpusReplayTests"/>):
/// headers that made the frame codec throw something other than <see cref="ProtocolException"/>, so the server
/// dropped the connection without the error frame protocol.md §2.2 promises.
/// </summary>
public class FuzzFindingsTests
{
    [Theory]
    [InlineData("""{"type":"echo","\ud800id":2}""")] // a property name whose escape is a lone surrogate
    [InlineData("""{"type":"\udc00"}""")]             // the type itself
    [InlineData("""{"\ud800":1,"type":"echo"}""")]
    public void AnEscapedLoneSurrogateIsInvalidJsonNotACrash(string header)
    {
        var ex = Assert.Throws<ProtocolException>(() => FrameCodec.ParseHeader(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(header))));
        Assert.Equal(ProtocolError.InvalidJson, ex.Error);
    }

    [Theory]
    [InlineData("""{"type":"echo","id":2,"size":tru""", 6)]
    [InlineData("""{"type":"echo","id":2,"upper":fals""", 1)]
    [InlineData("""{"type":"echo","x":nul""", 7)]
    public void ALiteralCutOffAtTheEndOfASplitHeaderIsInvalidJsonNotACrash(string header, int segment)
    {
        // As a connection sees it: the length prefix says the header ends inside the literal, and the bytes arrived
        // in several reads (the runtime's multi-segment reader threw IndexOutOfRangeException here).
        var bytes = Encoding.UTF8.GetBytes(header);
        var cuts = Enumerable.Range(1, bytes.Length / segment).Select(i => i * segment).ToArray();
        var ex = Assert.Throws<ProtocolException>(() => FrameCodec.ParseHeader(SequenceFactory.Split(bytes, cuts)));
        Assert.Equal(ProtocolError.InvalidJson, ex.Error);
    }

    [Fact]
    public void ASplitHeaderStillParsesToTheSameFieldsAndInternedType()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"type":"\u0065xec.start","id":9,"size":3,"command":"ls é"}""");
        var header = FrameCodec.ParseHeader(SequenceFactory.Split(bytes, 3, 9, 17, 40));
        Assert.Same(MessageTypes.ExecStart, header.Type);
        Assert.Equal(9, header.Id);
        Assert.Equal(3, header.Size);
        Assert.Equal(bytes, header.Json.ToArray());
    }

    [Fact]
    public async Task OverASocketALoneSurrogateHeaderGetsAnInvalidJsonErrorBeforeTheClose()
    {
        await using var server = await TestServer.StartAsync();
        await using var stream = await server.OpenAuthenticatedRawStreamAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await stream.WriteAsync(RawFrames.Frame("""{"type":"echo","\ud800id":2}"""), timeout.Token);
        var frame = await RawFrames.ReadFrameAsync(stream, timeout.Token);
        Assert.NotNull(frame); // before the fix: closed with no error frame at all
        using var doc = JsonDocument.Parse(frame.Value.Header);
        Assert.Equal("error", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_json", doc.RootElement.GetProperty("code").GetString());
        Assert.Null(await RawFrames.ReadFrameAsync(stream, timeout.Token));
    }
}

using System.Buffers;
using System.IO.Pipelines;
using FsCheck;
using FsCheck.Fluent;
using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Connections;

/// <summary>
/// TCP delivers a byte stream, not messages: frames arrive merged and split anywhere. These properties feed
/// many frames written back to back through the real read loop, split at every boundary, one byte at a
/// time, at random places, and all at once, and require the same frames to come out.
/// </summary>
public class StickyPacketTests
{
    private sealed record SentFrame(string Type, long Id, byte[] Body, string Note);

    [Fact]
    public async Task FramesSurviveOneByteDelivery()
    {
        var frames = SampleFrames();
        var wire = Encode(frames);
        var received = await ReadAllAsync(new ChunkingStream(wire, _ => 1));
        AssertSame(frames, received);
    }

    [Fact]
    public async Task FramesSurviveASplitAtEveryByteBoundary()
    {
        var frames = SampleFrames();
        var wire = Encode(frames);
        for (int cut = 1; cut < wire.Length; cut++)
        {
            int first = cut;
            bool firstRead = true;
            var received = await ReadAllAsync(new ChunkingStream(wire, available =>
            {
                if (!firstRead) return available;
                firstRead = false;
                return first;
            }));
            AssertSame(frames, received);
        }
    }

    [Fact]
    public async Task FramesSurviveAllMergedInOneRead()
    {
        var frames = SampleFrames();
        var wire = Encode(frames);
        AssertSame(frames, await ReadAllAsync(new ChunkingStream(wire, available => available)));
    }

    [Fact]
    public void RandomFramesSurviveRandomSplits()
    {
        var frameGen =
            from type in Gen.Elements("echo", "file.put", "x.y", "chat.say")
            from id in Gen.Choose(0, int.MaxValue)
            from bodyLength in Gen.Frequency((3, Gen.Choose(0, 16)), (1, Gen.Choose(0, 5000)))
            from seed in Gen.Choose(0, int.MaxValue)
            from note in Gen.Elements("", "a", "ünïcödé ✓", "quote\"and\\slash", new string('x', 300))
            select new SentFrame(type, id, MakeBody(bodyLength, seed), note);
        var caseGen =
            from frames in Gen.ListOf(frameGen).Select(l => l.Take(12).ToArray())
            from chunkSeed in Gen.Choose(0, int.MaxValue)
            from maxChunk in Gen.Elements(1, 2, 3, 7, 64, 1000, 100_000)
            select (frames, chunkSeed, maxChunk);

        Prop.ForAll(caseGen.ToArbitrary(), c =>
        {
            var random = new Random(c.chunkSeed);
            var wire = Encode(c.frames);
            var received = ReadAllAsync(new ChunkingStream(wire, available => random.Next(1, c.maxChunk + 1))).GetAwaiter().GetResult();
            AssertSame(c.frames, received);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public async Task BatchedBodyReadsSurviveOneByteDeliveryAndSplitsAnywhere()
    {
        // Bulk consumers (file writes) wait for at least a batch of body bytes; that must not change what arrives.
        var frames = SampleFrames();
        var wire = Encode(frames);
        AssertSame(frames, await ReadAllAsync(new ChunkingStream(wire, _ => 1), batch: 1000));
        AssertSame(frames, await ReadAllAsync(new ChunkingStream(wire, available => available), batch: 1000));
        for (int cut = 1; cut < wire.Length; cut += 5)
        {
            int first = cut;
            bool firstRead = true;
            AssertSame(frames, await ReadAllAsync(new ChunkingStream(wire, available =>
            {
                if (!firstRead) return Math.Min(available, 700);
                firstRead = false;
                return first;
            }), batch: 1000));
        }
    }

    [Fact]
    public async Task StreamEndingMidFrameIsATruncatedFrameError()
    {
        var wire = Encode(SampleFrames());
        for (int cut = 1; cut < wire.Length; cut++)
        {
            var truncated = wire[..cut];
            var frameEnds = FrameEnds(SampleFrames());
            if (frameEnds.Contains(cut)) continue; // a clean boundary is a normal close
            var ex = await Assert.ThrowsAsync<ProtocolException>(() => ReadAllAsync(new ChunkingStream(truncated, a => a)));
            Assert.Equal(ProtocolError.TruncatedFrame, ex.Error);
        }
    }

    private static SentFrame[] SampleFrames() =>
    [
        new("echo", 1, "hello"u8.ToArray(), ""),
        new("echo", 2, "feng"u8.ToArray(), "second"),
        new("x.empty", 3, [], ""),
        new("file.put", 4, MakeBody(3000, 1), "big"),
        new("echo", 5, [0, 255, 10, 13], "binary"),
    ];

    private static HashSet<int> FrameEnds(SentFrame[] frames)
    {
        var ends = new HashSet<int>();
        int position = 0;
        foreach (var frame in frames)
        {
            position += Encode([frame]).Length;
            ends.Add(position);
        }
        return ends;
    }

    private static byte[] MakeBody(int length, int seed)
    {
        var body = new byte[length];
        new Random(seed).NextBytes(body);
        return body;
    }

    private static byte[] Encode(IEnumerable<SentFrame> frames)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new FrameHeaderWriter();
        foreach (var frame in frames)
        {
            writer.Write(output, frame.Type, frame.Id, frame.Body.Length, new NotePayload { Note = frame.Note }, TestJsonContext.Default.NotePayload);
            output.Write(frame.Body);
        }
        return output.WrittenSpan.ToArray();
    }

    private static async Task<List<SentFrame>> ReadAllAsync(Stream source, int batch = 0)
    {
        var input = PipeReader.Create(source, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1));
        var output = new Pipe();
        var connection = new FrameConnection(new DuplexPipe(input, output.Writer), () => { });
        var collector = new Collector(batch);
        var reason = await connection.RunAsync(collector);
        Assert.Equal(CloseReason.PeerClosed, reason);
        return collector.Frames;
    }

    private static void AssertSame(IReadOnlyList<SentFrame> sent, IReadOnlyList<SentFrame> received)
    {
        Assert.Equal(sent.Count, received.Count);
        for (int i = 0; i < sent.Count; i++)
        {
            Assert.Equal(sent[i].Type, received[i].Type);
            Assert.Equal(sent[i].Id, received[i].Id);
            Assert.Equal(sent[i].Note, received[i].Note);
            Assert.Equal(sent[i].Body, received[i].Body);
        }
    }

    private sealed class Collector(int batch) : IFrameHandler
    {
        public List<SentFrame> Frames { get; } = [];

        public async ValueTask OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
        {
            var note = header.ReadPayload(TestJsonContext.Default.NotePayload).Note ?? "";
            var type = header.Type;
            var id = header.Id;
            byte[] bytes;
            if (batch == 0)
            {
                bytes = await body.ReadAllAsync(int.MaxValue, cancellationToken);
            }
            else
            {
                var collected = new List<byte>();
                while (body.Remaining > 0)
                {
                    long before = body.Remaining;
                    var chunk = await body.ReadAtLeastAsync(batch, cancellationToken);
                    Assert.True(chunk.Length >= Math.Min(batch, before), $"got {chunk.Length} bytes, wanted at least {Math.Min(batch, before)}");
                    Assert.True(chunk.Length <= before);
                    collected.AddRange(chunk.ToArray());
                    body.Advance(chunk.Length);
                }
                bytes = [.. collected];
            }
            Frames.Add(new SentFrame(type, id, bytes, note));
        }
    }
}

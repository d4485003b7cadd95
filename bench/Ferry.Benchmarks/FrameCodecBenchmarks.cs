using System.Buffers;
using BenchmarkDotNet.Attributes;
using Ferry.Protocol;

namespace Ferry.Benchmarks;

/// <summary>Cost of the framing layer alone: ns and bytes allocated per frame (docs/performance.md).</summary>
[MemoryDiagnoser]
public class FrameCodecBenchmarks
{
    private const int FramesPerBatch = 100;
    private readonly FrameHeaderWriter _headerWriter = new();
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private readonly byte[] _body = new byte[32];
    private ReadOnlySequence<byte> _wire;
    private ReadOnlySequence<byte> _wireSplit;

    [GlobalSetup]
    public void Setup()
    {
        var writer = new ArrayBufferWriter<byte>();
        for (int i = 1; i <= FramesPerBatch; i++)
        {
            _headerWriter.Write(writer, MessageTypes.Echo, i, _body.Length);
            writer.Write(_body);
        }
        var bytes = writer.WrittenSpan.ToArray();
        _wire = new ReadOnlySequence<byte>(bytes);
        _wireSplit = Segments.Split(bytes, 1500); // like MTU-sized socket reads
    }

    [Benchmark(OperationsPerInvoke = FramesPerBatch, Description = "encode echo frame (header + 32 B body)")]
    public int Encode()
    {
        _output.ResetWrittenCount();
        for (int i = 1; i <= FramesPerBatch; i++)
        {
            _headerWriter.Write(_output, MessageTypes.Echo, i, _body.Length);
            _output.Write(_body);
        }
        return _output.WrittenCount;
    }

    [Benchmark(OperationsPerInvoke = FramesPerBatch, Description = "decode echo frame, contiguous")]
    public long Decode() => DecodeAll(_wire);

    [Benchmark(OperationsPerInvoke = FramesPerBatch, Description = "decode echo frame, 1500 B segments")]
    public long DecodeSegmented() => DecodeAll(_wireSplit);

    private static long DecodeAll(ReadOnlySequence<byte> wire)
    {
        var reader = new SequenceReader<byte>(wire);
        long ids = 0;
        while (FrameCodec.TryReadHeader(ref reader, FrameCodec.DefaultMaxHeaderBytes, out var header))
        {
            ids += header.Id;
            reader.Advance(header.Size);
        }
        return ids;
    }
}

internal static class Segments
{
    public static ReadOnlySequence<byte> Split(byte[] data, int size)
    {
        Segment? first = null, last = null;
        for (int offset = 0; offset < data.Length; offset += size)
        {
            var memory = data.AsMemory(offset, Math.Min(size, data.Length - offset));
            if (first is null) first = last = new Segment(memory, 0);
            else last = last!.Append(memory);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

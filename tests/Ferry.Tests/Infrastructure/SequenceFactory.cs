using System.Buffers;

namespace Ferry.Tests.Infrastructure;

/// <summary>Builds multi-segment sequences so parsers see data split at chosen places.</summary>
public static class SequenceFactory
{
    public static ReadOnlySequence<byte> Split(byte[] data, params int[] cuts)
    {
        var points = cuts.Where(c => c > 0 && c < data.Length).Distinct().Order().ToList();
        if (points.Count == 0) return new ReadOnlySequence<byte>(data);
        Segment? first = null, last = null;
        int start = 0;
        foreach (var end in points.Append(data.Length))
        {
            var memory = data.AsMemory(start, end - start).ToArray(); // a separate array per segment, like real pooled buffers
            if (first is null) first = last = new Segment(memory, 0);
            else last = last!.Append(memory);
            start = end;
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

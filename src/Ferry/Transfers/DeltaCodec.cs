using System.Buffers;
using System.Buffers.Binary;

namespace Ferry.Transfers;

/// <summary>What one instruction of a delta says: here are new bytes, or copy these blocks of the basis.</summary>
internal enum DeltaOpKind : byte
{
    /// <summary><c>0x01, u32 length</c>, then that many bytes of new data.</summary>
    Literal = 1,

    /// <summary><c>0x02, u32 firstBlock, u32 blockCount</c>: that run of the receiver's blocks, in order.</summary>
    Copy = 2,
}

/// <summary>One instruction of a delta; a literal's bytes stay in the buffer it was read from.</summary>
internal readonly record struct DeltaOp(DeltaOpKind Kind, ReadOnlySequence<byte> Literal, int FirstBlock, int BlockCount);

/// <summary>How reading one instruction went.</summary>
internal enum DeltaRead
{
    Op,

    /// <summary>The buffer ends inside the instruction.</summary>
    Incomplete,

    /// <summary>An unknown code, a zero or oversized length, or a negative block number.</summary>
    Invalid,
}

/// <summary>
/// The wire form of a delta (docs/protocol.md §5.4.4): instructions, little-endian, packed into <c>file.data</c>
/// bodies, each body holding whole instructions only.
/// </summary>
internal static class DeltaCodec
{
    public const int LiteralHeaderBytes = 1 + 4;

    public const int CopyBytes = 1 + 4 + 4;

    /// <summary>The longest literal one instruction may carry (a body is at most a chunk).</summary>
    public const int MaxLiteralBytes = TransferBuffers.ChunkBytes - LiteralHeaderBytes;

    /// <summary>Reads one instruction. Pure: no I/O; on anything but <see cref="DeltaRead.Op"/> the reader has not moved.</summary>
    public static DeltaRead TryRead(ref SequenceReader<byte> reader, out DeltaOp op)
    {
        op = default;
        long start = reader.Consumed;
        if (!reader.TryRead(out byte code)) return DeltaRead.Incomplete;
        switch ((DeltaOpKind)code)
        {
            case DeltaOpKind.Literal:
                if (!reader.TryReadLittleEndian(out int length)) return Rewind(ref reader, start, DeltaRead.Incomplete);
                if (length is <= 0 or > MaxLiteralBytes) return Rewind(ref reader, start, DeltaRead.Invalid);
                if (reader.Remaining < length) return Rewind(ref reader, start, DeltaRead.Incomplete);
                op = new DeltaOp(DeltaOpKind.Literal, reader.UnreadSequence.Slice(0, length), 0, 0);
                reader.Advance(length);
                return DeltaRead.Op;
            case DeltaOpKind.Copy:
                if (!reader.TryReadLittleEndian(out int first) || !reader.TryReadLittleEndian(out int count))
                {
                    return Rewind(ref reader, start, DeltaRead.Incomplete);
                }
                if (first < 0 || count <= 0) return Rewind(ref reader, start, DeltaRead.Invalid);
                op = new DeltaOp(DeltaOpKind.Copy, default, first, count);
                return DeltaRead.Op;
            default:
                return Rewind(ref reader, start, DeltaRead.Invalid);
        }
    }

    private static DeltaRead Rewind(ref SequenceReader<byte> reader, long start, DeltaRead result)
    {
        reader.Rewind(reader.Consumed - start);
        return result;
    }

    public static void WriteLiteralHeader(Span<byte> destination, int length)
    {
        destination[0] = (byte)DeltaOpKind.Literal;
        BinaryPrimitives.WriteInt32LittleEndian(destination[1..], length);
    }

    public static void WriteCopy(Span<byte> destination, int firstBlock, int blockCount)
    {
        destination[0] = (byte)DeltaOpKind.Copy;
        BinaryPrimitives.WriteInt32LittleEndian(destination[1..], firstBlock);
        BinaryPrimitives.WriteInt32LittleEndian(destination[5..], blockCount);
    }
}

/// <summary>A delta that cannot be applied: it references blocks the basis lacks, lies about lengths, or is malformed.</summary>
internal sealed class DeltaException(string message) : Exception(message);

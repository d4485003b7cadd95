using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Ferry.Transfers;

/// <summary>
/// What a delta transfer's receiver has: its file cut into blocks of <see cref="BlockSize"/> bytes (the last may be
/// shorter), each with a weak rolling checksum and a strong hash. On the wire (docs/protocol.md §5.4.4), little-endian:
/// <c>u32 blockSize, u64 length</c>, then per block <c>u32 weak, 16 bytes strong</c> (the first half of the block's
/// SHA-256). The block count follows from the two numbers, so a signature cannot disagree with itself.
/// </summary>
internal sealed class BlockSignature
{
    /// <summary>The smallest block a signature may use (rsync's floor of 700, rounded down).</summary>
    public const int MinBlockBytes = 512;

    /// <summary>The largest block (128 KiB): bigger blocks match too rarely to be worth it.</summary>
    public const int MaxBlockBytes = 128 * 1024;

    /// <summary>
    /// At most this many blocks (5 MiB of signature, up to 32 GiB at the largest block), which bounds what a peer's
    /// signature costs to hold. A larger file is sent whole.
    /// </summary>
    public const int MaxBlocks = 1 << 18;

    /// <summary>Bytes per block on the wire: the weak checksum and the strong hash.</summary>
    public const int StrongBytes = 16;

    public const int HeaderBytes = 4 + 8;

    private const int EntryBytes = 4 + StrongBytes;

    public BlockSignature(int blockSize, long length, uint[] weak, byte[] strong)
    {
        BlockSize = blockSize;
        Length = length;
        Weak = weak;
        Strong = strong;
    }

    public int BlockSize { get; }

    /// <summary>The size of the file described (the basis).</summary>
    public long Length { get; }

    public int BlockCount => Weak.Length;

    /// <summary>The weak checksum of each block.</summary>
    public uint[] Weak { get; }

    /// <summary>The strong hashes, <see cref="StrongBytes"/> per block, one after another.</summary>
    public byte[] Strong { get; }

    /// <summary>The bytes this signature takes on the wire.</summary>
    public int WireBytes => HeaderBytes + BlockCount * EntryBytes;

    public ReadOnlySpan<byte> StrongOf(int block) => Strong.AsSpan(block * StrongBytes, StrongBytes);

    /// <summary>The length of block <paramref name="block"/> (the last one may be short).</summary>
    public int LengthOf(int block) => (int)Math.Min(BlockSize, Length - (long)block * BlockSize);

    /// <summary>
    /// The block size for a file of <paramref name="length"/> bytes: about its square root (which balances the
    /// signature's size against the literal data a change costs), between 700 bytes and 128 KiB.
    /// </summary>
    public static int ChooseBlockSize(long length)
    {
        long root = (long)Math.Sqrt(length);
        return (int)Math.Clamp(root & ~7L, 700, MaxBlockBytes);
    }

    /// <summary>Whether a file of <paramref name="length"/> bytes can be described with blocks of <paramref name="blockSize"/>.</summary>
    public static bool Fits(long length, int blockSize) =>
        blockSize is >= MinBlockBytes and <= MaxBlockBytes && length >= 0 && BlockCountOf(length, blockSize) <= MaxBlocks;

    private static long BlockCountOf(long length, int blockSize) => length / blockSize + (length % blockSize == 0 ? 0 : 1);

    /// <summary>The strong hash of one block, written into <paramref name="destination"/> (<see cref="StrongBytes"/> long).</summary>
    public static void HashStrong(ReadOnlySpan<byte> block, Span<byte> destination)
    {
        Span<byte> full = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(block, full);
        full[..StrongBytes].CopyTo(destination);
    }

    /// <summary>Describes the first <paramref name="length"/> bytes of <paramref name="file"/> in blocks of <paramref name="blockSize"/>.</summary>
    public static async Task<BlockSignature> ComputeAsync(SafeFileHandle file, long length, int blockSize, CancellationToken cancellationToken = default)
    {
        if (!Fits(length, blockSize)) throw new ArgumentOutOfRangeException(nameof(blockSize), $"a file of {length} bytes cannot be described in blocks of {blockSize}");
        int count = (int)BlockCountOf(length, blockSize);
        var weak = new uint[count];
        var strong = new byte[count * StrongBytes];
        // Whole blocks per read, about a chunk at a time.
        int perRead = Math.Max(1, TransferBuffers.ChunkBytes / blockSize) * blockSize;
        var buffer = ArrayPool<byte>.Shared.Rent(perRead);
        try
        {
            long position = 0;
            int block = 0;
            while (position < length)
            {
                int want = (int)Math.Min(perRead, length - position);
                int got = 0;
                while (got < want)
                {
                    int n = await RandomAccess.ReadAsync(file, buffer.AsMemory(got, want - got), position + got, cancellationToken).ConfigureAwait(false);
                    if (n == 0) throw new FileChangedException(position + got, length);
                    got += n;
                }
                for (int at = 0; at < got; at += blockSize, block++)
                {
                    var span = buffer.AsSpan(at, Math.Min(blockSize, got - at));
                    weak[block] = RollingChecksum.Of(span);
                    HashStrong(span, strong.AsSpan(block * StrongBytes, StrongBytes));
                }
                position += got;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new BlockSignature(blockSize, length, weak, strong);
    }

    /// <summary>Writes the wire form (see the type's summary).</summary>
    public void Write(IBufferWriter<byte> writer)
    {
        var header = writer.GetSpan(HeaderBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)BlockSize);
        BinaryPrimitives.WriteInt64LittleEndian(header[4..], Length);
        writer.Advance(HeaderBytes);
        for (int i = 0; i < BlockCount; i++)
        {
            var entry = writer.GetSpan(EntryBytes);
            BinaryPrimitives.WriteUInt32LittleEndian(entry, Weak[i]);
            StrongOf(i).CopyTo(entry[4..]);
            writer.Advance(EntryBytes);
        }
    }

    /// <summary>The wire form as one array.</summary>
    public byte[] ToArray()
    {
        var writer = new ArrayBufferWriter<byte>(WireBytes);
        Write(writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads a signature's header: the block size and the basis length, checked against the limits (false when
    /// fewer than <see cref="HeaderBytes"/> bytes are there or the values are out of range). Pure: no I/O.
    /// </summary>
    public static bool TryReadHeader(ref SequenceReader<byte> reader, out int blockSize, out long length)
    {
        blockSize = 0;
        length = 0;
        if (!reader.TryReadLittleEndian(out int size) || !reader.TryReadLittleEndian(out long basis)) return false;
        if (!Fits(basis, size)) return false;
        blockSize = size;
        length = basis;
        return true;
    }

    /// <summary>
    /// Reads a whole signature, which must be all that is left in <paramref name="reader"/>: false when it is cut
    /// short, has bytes after the last block, or its header is out of range. Pure: no I/O.
    /// </summary>
    public static bool TryRead(ref SequenceReader<byte> reader, out BlockSignature? signature)
    {
        signature = null;
        if (!TryReadHeader(ref reader, out int blockSize, out long length)) return false;
        long count = BlockCountOf(length, blockSize);
        if (reader.Remaining != count * EntryBytes) return false;
        var weak = new uint[count];
        var strong = new byte[count * StrongBytes];
        for (int i = 0; i < count; i++)
        {
            if (!reader.TryReadLittleEndian(out int w) || !reader.TryCopyTo(strong.AsSpan(i * StrongBytes, StrongBytes))) return false;
            weak[i] = (uint)w;
            reader.Advance(StrongBytes);
        }
        signature = new BlockSignature(blockSize, length, weak, strong);
        return true;
    }
}

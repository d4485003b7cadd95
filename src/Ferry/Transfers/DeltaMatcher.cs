using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Ferry.Transfers;

/// <summary>
/// The sending end of a delta: walks the new file with a rolling checksum, finds the receiver's blocks (from its
/// <see cref="BlockSignature"/>) at any offset, and turns the file into copy instructions for what matched and
/// literal data for the rest, packed into bodies of at most a chunk (<see cref="DeltaCodec"/>).
/// </summary>
internal sealed class DeltaMatcher
{
    // A run of unmatched bytes goes out once it is this long, so a wholly new file still streams.
    private const int LiteralRunBytes = 256 * 1024;

    private readonly BlockSignature _signature;
    private readonly int[] _heads; // weak & mask → first block with it, or -1
    private readonly int[] _next;  // block → next block in the same bucket, or -1
    private readonly int _mask;

    public DeltaMatcher(BlockSignature signature)
    {
        _signature = signature;
        int buckets = (int)Math.Min(1L << 30, Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)signature.BlockCount * 2)));
        _mask = buckets - 1;
        _heads = new int[buckets];
        Array.Fill(_heads, -1);
        _next = new int[signature.BlockCount];
        // Inserted last to first, so a bucket lists its blocks in file order.
        for (int i = signature.BlockCount - 1; i >= 0; i--)
        {
            int bucket = (int)(signature.Weak[i] & (uint)_mask);
            _next[i] = _heads[bucket];
            _heads[bucket] = i;
        }
    }

    /// <summary>Bytes of the file sent as literal data by the last <see cref="MatchAsync"/>.</summary>
    public long LiteralBytes { get; private set; }

    /// <summary>Bytes of the file the receiver copies from its own blocks.</summary>
    public long MatchedBytes { get; private set; }

    /// <summary>
    /// Reads the first <paramref name="length"/> bytes of <paramref name="source"/> (feeding them to <paramref name="hash"/>)
    /// and hands the delta to <paramref name="emit"/>, one body at a time (the memory is reused once emit returns).
    /// </summary>
    public async Task MatchAsync(SafeFileHandle source, long length, IncrementalHash hash,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> emit, CancellationToken cancellationToken = default)
    {
        LiteralBytes = 0;
        MatchedBytes = 0;
        int blockSize = _signature.BlockSize;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(4 * TransferBuffers.ChunkBytes, 4 * blockSize));
        var writer = new DeltaWriter(emit);
        try
        {
            long read = 0;     // of the file, into buffer
            int filled = 0;    // valid bytes in buffer
            int position = 0;  // the window's start
            int literal = 0;   // where the unsent literal run starts
            int lastBlock = -2;
            var rolling = default(RollingChecksum);
            bool rollingValid = false;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (filled - position < blockSize && read < length)
                {
                    // Send what is unmatched before the window, keep the window's bytes, read on.
                    await writer.LiteralAsync(buffer.AsMemory(literal, position - literal), cancellationToken).ConfigureAwait(false);
                    LiteralBytes += position - literal;
                    Buffer.BlockCopy(buffer, position, buffer, 0, filled - position);
                    filled -= position;
                    position = 0;
                    literal = 0;
                    while (filled < buffer.Length && read < length)
                    {
                        int want = (int)Math.Min(buffer.Length - filled, length - read);
                        int n = await RandomAccess.ReadAsync(source, buffer.AsMemory(filled, want), read, cancellationToken).ConfigureAwait(false);
                        if (n == 0) throw new FileChangedException(read, length);
                        hash.AppendData(buffer, filled, n);
                        filled += n;
                        read += n;
                    }
                    rollingValid = false;
                }
                int available = filled - position;
                if (available == 0) break;
                if (available < blockSize)
                {
                    // The file's tail: it can only be the receiver's short last block, and only as a whole.
                    int tail = _signature.BlockCount == 0 ? -1 : _signature.LengthOf(_signature.BlockCount - 1);
                    if (tail > 0 && tail < blockSize && tail <= available)
                    {
                        var end = buffer.AsSpan(filled - tail, tail);
                        int last = _signature.BlockCount - 1;
                        if (RollingChecksum.Of(end) == _signature.Weak[last] && StrongMatches(end, last))
                        {
                            position = filled - tail;
                            await FlushLiteralAsync(writer, buffer, literal, position, cancellationToken).ConfigureAwait(false);
                            await writer.CopyAsync(last, cancellationToken).ConfigureAwait(false);
                            MatchedBytes += tail;
                            literal = position = filled;
                            break;
                        }
                    }
                    position = filled;
                    break;
                }
                var window = buffer.AsSpan(position, blockSize);
                if (!rollingValid)
                {
                    rolling = new RollingChecksum(window);
                    rollingValid = true;
                }
                int block = Find(rolling.Value, window, lastBlock + 1);
                if (block >= 0)
                {
                    await FlushLiteralAsync(writer, buffer, literal, position, cancellationToken).ConfigureAwait(false);
                    await writer.CopyAsync(block, cancellationToken).ConfigureAwait(false);
                    MatchedBytes += blockSize;
                    lastBlock = block;
                    position += blockSize;
                    literal = position;
                    rollingValid = false;
                    continue;
                }
                if (position + blockSize < filled)
                {
                    rolling.Roll(buffer[position], buffer[position + blockSize]);
                }
                else
                {
                    rollingValid = false;
                }
                position++;
                if (position - literal >= LiteralRunBytes)
                {
                    await FlushLiteralAsync(writer, buffer, literal, position, cancellationToken).ConfigureAwait(false);
                    literal = position;
                }
            }
            await FlushLiteralAsync(writer, buffer, literal, position, cancellationToken).ConfigureAwait(false);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask FlushLiteralAsync(DeltaWriter writer, byte[] buffer, int from, int to, CancellationToken cancellationToken)
    {
        if (to <= from) return;
        await writer.LiteralAsync(buffer.AsMemory(from, to - from), cancellationToken).ConfigureAwait(false);
        LiteralBytes += to - from;
    }

    // The receiver's full-length block with this content, or -1. The block after the last match is tried first, so
    // an unchanged stretch becomes one long copy.
    private int Find(uint weak, ReadOnlySpan<byte> window, int preferred)
    {
        if ((uint)preferred < (uint)_signature.BlockCount && _signature.Weak[preferred] == weak
            && _signature.LengthOf(preferred) == window.Length && StrongMatches(window, preferred))
        {
            return preferred;
        }
        Span<byte> strong = stackalloc byte[BlockSignature.StrongBytes];
        bool hashed = false;
        for (int block = _heads[weak & (uint)_mask]; block >= 0; block = _next[block])
        {
            if (_signature.Weak[block] != weak || _signature.LengthOf(block) != window.Length) continue;
            if (!hashed)
            {
                BlockSignature.HashStrong(window, strong);
                hashed = true;
            }
            if (strong.SequenceEqual(_signature.StrongOf(block))) return block;
        }
        return -1;
    }

    private bool StrongMatches(ReadOnlySpan<byte> window, int block)
    {
        Span<byte> strong = stackalloc byte[BlockSignature.StrongBytes];
        BlockSignature.HashStrong(window, strong);
        return strong.SequenceEqual(_signature.StrongOf(block));
    }

    // Packs instructions into bodies of at most a chunk; neighbouring blocks become one copy.
    private sealed class DeltaWriter(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> emit)
    {
        private readonly byte[] _body = new byte[TransferBuffers.ChunkBytes];
        private int _used;
        private int _copyFirst = -1;
        private int _copyCount;

        public async ValueTask CopyAsync(int block, CancellationToken cancellationToken)
        {
            if (_copyFirst >= 0 && _copyFirst + _copyCount == block)
            {
                _copyCount++;
                return;
            }
            await WritePendingCopyAsync(cancellationToken).ConfigureAwait(false);
            _copyFirst = block;
            _copyCount = 1;
        }

        public async ValueTask LiteralAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            if (data.IsEmpty) return;
            await WritePendingCopyAsync(cancellationToken).ConfigureAwait(false);
            while (!data.IsEmpty)
            {
                if (_body.Length - _used <= DeltaCodec.LiteralHeaderBytes) await EmitAsync(cancellationToken).ConfigureAwait(false);
                int n = Math.Min(data.Length, _body.Length - _used - DeltaCodec.LiteralHeaderBytes);
                DeltaCodec.WriteLiteralHeader(_body.AsSpan(_used), n);
                data.Span[..n].CopyTo(_body.AsSpan(_used + DeltaCodec.LiteralHeaderBytes));
                _used += DeltaCodec.LiteralHeaderBytes + n;
                data = data[n..];
            }
        }

        public async ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            await WritePendingCopyAsync(cancellationToken).ConfigureAwait(false);
            if (_used > 0) await EmitAsync(cancellationToken).ConfigureAwait(false);
        }

        private async ValueTask WritePendingCopyAsync(CancellationToken cancellationToken)
        {
            if (_copyFirst < 0) return;
            if (_body.Length - _used < DeltaCodec.CopyBytes) await EmitAsync(cancellationToken).ConfigureAwait(false);
            DeltaCodec.WriteCopy(_body.AsSpan(_used), _copyFirst, _copyCount);
            _used += DeltaCodec.CopyBytes;
            _copyFirst = -1;
            _copyCount = 0;
        }

        private async ValueTask EmitAsync(CancellationToken cancellationToken)
        {
            await emit(_body.AsMemory(0, _used), cancellationToken).ConfigureAwait(false);
            _used = 0;
        }
    }
}

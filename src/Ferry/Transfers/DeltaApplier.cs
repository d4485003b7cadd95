using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Ferry.Transfers;

/// <summary>
/// The receiving end of a delta: each body's instructions are checked as a whole (known codes, blocks inside the
/// basis, nothing past the announced length) before any is carried out, then literals and copied basis blocks are
/// written in order to the target (the <c>.part</c>), which hashes them. The basis is only read.
/// </summary>
internal sealed class DeltaApplier(SafeFileHandle basis, long basisLength, int blockSize, IReceiveTarget target, long finalLength)
{
    private readonly long _blockCount = basisLength / blockSize + (basisLength % blockSize == 0 ? 0 : 1);
    private readonly List<DeltaOp> _ops = [];

    /// <summary>Bytes of the rebuilt file taken from the basis so far.</summary>
    public long CopiedBytes { get; private set; }

    /// <summary>Bytes of the rebuilt file written so far.</summary>
    public long Position => target.Position;

    /// <summary>Carries out one body of instructions; throws <see cref="DeltaException"/> (writing nothing of it) when it is not valid.</summary>
    public async ValueTask ApplyAsync(ReadOnlySequence<byte> body, CancellationToken cancellationToken = default)
    {
        Parse(body);
        foreach (var op in _ops)
        {
            if (op.Kind == DeltaOpKind.Literal)
            {
                await target.WriteAsync(op.Literal, cancellationToken).ConfigureAwait(false);
                continue;
            }
            long start = (long)op.FirstBlock * blockSize;
            long length = Math.Min((long)op.BlockCount * blockSize, basisLength - start);
            await CopyAsync(start, length, cancellationToken).ConfigureAwait(false);
            CopiedBytes += length;
        }
    }

    // Pure checks of a whole body against the basis and the announced length.
    private void Parse(ReadOnlySequence<byte> body)
    {
        _ops.Clear();
        var reader = new SequenceReader<byte>(body);
        long end = target.Position;
        while (!reader.End)
        {
            switch (DeltaCodec.TryRead(ref reader, out var op))
            {
                case DeltaRead.Incomplete:
                    throw new DeltaException($"a delta instruction is cut off at the end of its file.data body (byte {reader.Consumed} of {body.Length})");
                case DeltaRead.Invalid:
                    throw new DeltaException($"byte {reader.Consumed} of a file.data body is not a valid delta instruction");
            }
            long produced;
            if (op.Kind == DeltaOpKind.Literal)
            {
                produced = op.Literal.Length;
            }
            else
            {
                if (op.FirstBlock >= _blockCount || op.BlockCount > _blockCount - op.FirstBlock)
                {
                    throw new DeltaException($"the delta copies blocks {op.FirstBlock}-{(long)op.FirstBlock + op.BlockCount - 1}, but the basis has {_blockCount} blocks");
                }
                long start = (long)op.FirstBlock * blockSize;
                produced = Math.Min((long)op.BlockCount * blockSize, basisLength - start);
            }
            if (produced > finalLength - end)
            {
                throw new DeltaException($"the delta builds more than the announced {finalLength} bytes");
            }
            end += produced;
            _ops.Add(op);
        }
    }

    private async ValueTask CopyAsync(long start, long length, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(TransferBuffers.ChunkBytes, length));
        try
        {
            long done = 0;
            while (done < length)
            {
                int want = (int)Math.Min(buffer.Length, length - done);
                int got = 0;
                while (got < want)
                {
                    int n = await RandomAccess.ReadAsync(basis, buffer.AsMemory(got, want - got), start + done + got, cancellationToken).ConfigureAwait(false);
                    if (n == 0) throw new DeltaException($"the basis file got shorter while it was read (at byte {start + done + got} of {basisLength})");
                    got += n;
                }
                await target.WriteAsync(new ReadOnlySequence<byte>(buffer, 0, got), cancellationToken).ConfigureAwait(false);
                done += got;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

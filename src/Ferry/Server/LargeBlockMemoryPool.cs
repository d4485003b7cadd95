using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace Ferry.Server;

/// <summary>
/// The memory pool behind Kestrel's socket pipes. Kestrel's default pool hands out 4 KiB blocks, and the socket
/// transport receives into one block per <c>recv</c>: a 1 GiB upload then costs ~260,000 receive calls and as many
/// reader wake-ups. Larger blocks let one call take whatever the kernel has queued (up to a block), which is what
/// bulk bodies need; small frames use only part of a block and hand it back at once. Blocks are pinned (the
/// socket layer pins buffers for every call anyway) and a bounded number are kept for reuse, so memory stays flat.
/// </summary>
internal sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    /// <summary>The size of every block handed out.</summary>
    public const int BlockBytes = 64 * 1024;

    // 256 blocks = 16 MiB kept at most; anything beyond goes back to the GC when returned.
    private const int MaxRetained = 256;

    private readonly ConcurrentQueue<Block> _free = new();
    private int _retained;
    private bool _disposed;

    public override int MaxBufferSize => BlockBytes;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockBytes);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _retained);
            block.Rented();
            return block;
        }
        return new Block(this);
    }

    private void Return(Block block)
    {
        if (Volatile.Read(ref _disposed)) return;
        if (Interlocked.Increment(ref _retained) > MaxRetained)
        {
            Interlocked.Decrement(ref _retained);
            return;
        }
        _free.Enqueue(block);
    }

    protected override void Dispose(bool disposing)
    {
        Volatile.Write(ref _disposed, true);
        _free.Clear();
    }

    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly LargeBlockMemoryPool _pool;
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockBytes, pinned: true);
        private int _returned;

        public Block(LargeBlockMemoryPool pool) => _pool = pool;

        public Memory<byte> Memory => Volatile.Read(ref _returned) == 0
            ? MemoryMarshal.CreateFromPinnedArray(_array, 0, _array.Length)
            : throw new ObjectDisposedException(nameof(Block), "the block was already returned to the pool");

        public void Rented() => Volatile.Write(ref _returned, 0);

        public void Dispose()
        {
            // A double dispose must not put the block in the queue twice (two owners of one buffer).
            if (Interlocked.Exchange(ref _returned, 1) == 0) _pool.Return(this);
        }
    }
}

/// <summary>Hands Kestrel's transport a <see cref="LargeBlockMemoryPool"/>.</summary>
internal sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}

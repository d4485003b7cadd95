using Ferry.Server;

namespace Ferry.Tests.Server;

public class LargeBlockMemoryPoolTests
{
    [Fact]
    public void EveryRentIsAWholeBlockWhateverTheHint()
    {
        using var pool = new LargeBlockMemoryPool();
        using var small = pool.Rent(1);
        using var any = pool.Rent();
        Assert.Equal(LargeBlockMemoryPool.BlockBytes, small.Memory.Length);
        Assert.Equal(LargeBlockMemoryPool.BlockBytes, any.Memory.Length);
        Assert.Equal(LargeBlockMemoryPool.BlockBytes, pool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(LargeBlockMemoryPool.BlockBytes + 1));
    }

    [Fact]
    public void AReturnedBlockIsReusedAndNoLongerReachableThroughItsOldOwner()
    {
        using var pool = new LargeBlockMemoryPool();
        var first = pool.Rent();
        first.Memory.Span[0] = 42;
        first.Dispose();
        Assert.Throws<ObjectDisposedException>(() => first.Memory);
        using var second = pool.Rent();
        Assert.Equal(42, second.Memory.Span[0]); // the same pinned array, not a fresh one
    }

    [Fact]
    public void DisposingTwiceDoesNotHandTheSameBlockToTwoOwners()
    {
        using var pool = new LargeBlockMemoryPool();
        var block = pool.Rent();
        block.Dispose();
        block.Dispose();
        using var a = pool.Rent();
        using var b = pool.Rent();
        a.Memory.Span.Fill(1);
        b.Memory.Span.Fill(2);
        Assert.Equal(1, a.Memory.Span[0]);
        Assert.Equal(2, b.Memory.Span[0]);
    }
}

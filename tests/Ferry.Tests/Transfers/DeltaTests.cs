using System.Buffers;
using System.Security.Cryptography;
using Ferry.Transfers;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Transfers;

/// <summary>The pure delta code end to end on files: signature of the old, delta of the new, rebuilt byte for byte.</summary>
public sealed class DeltaTests : IDisposable
{
    private readonly string _dir = TempDirectory.Create("ferry-delta");

    public void Dispose() => TempDirectory.TryDelete(_dir);

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private sealed record Outcome(byte[] Rebuilt, long Literal, long Matched, long DeltaBytes, string SenderSha256);

    private async Task<Outcome> RoundTripAsync(byte[] basis, byte[] changed, int? blockSize = null)
    {
        var basisPath = Path.Combine(_dir, "basis");
        var changedPath = Path.Combine(_dir, "changed");
        await File.WriteAllBytesAsync(basisPath, basis);
        await File.WriteAllBytesAsync(changedPath, changed);
        using var basisHandle = File.OpenHandle(basisPath);
        using var changedHandle = File.OpenHandle(changedPath);
        int size = blockSize ?? BlockSignature.ChooseBlockSize(basis.Length);
        var signature = await BlockSignature.ComputeAsync(basisHandle, basis.Length, size);

        // Through the wire form, as the sender would get it.
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(signature.ToArray()));
        Assert.True(BlockSignature.TryRead(ref reader, out var parsed));

        var bodies = new List<byte[]>();
        var matcher = new DeltaMatcher(parsed!);
        using var hash = Sha256Hex.Create();
        await matcher.MatchAsync(changedHandle, changed.Length, hash, (body, _) =>
        {
            Assert.InRange(body.Length, 1, TransferBuffers.ChunkBytes);
            bodies.Add(body.ToArray());
            return ValueTask.CompletedTask;
        });

        var output = new MemoryStream();
        using var target = new StreamReceiveTarget(output, CancellationToken.None);
        var applier = new DeltaApplier(basisHandle, basis.Length, size, target, changed.Length);
        foreach (var body in bodies) await applier.ApplyAsync(new ReadOnlySequence<byte>(body));
        var rebuiltSha = await target.CompleteAsync();
        Assert.Equal(Sha256Hex.Of(hash), rebuiltSha);
        return new Outcome(output.ToArray(), matcher.LiteralBytes, matcher.MatchedBytes, bodies.Sum(b => (long)b.Length), Sha256Hex.Of(hash));
    }

    [Fact]
    public async Task IdenticalFileIsAllCopies()
    {
        var data = Random(3_000_000, 1);
        var outcome = await RoundTripAsync(data, data);
        Assert.Equal(data, outcome.Rebuilt);
        Assert.Equal(0, outcome.Literal);
        Assert.True(outcome.DeltaBytes < 64, $"{outcome.DeltaBytes} bytes of delta for an unchanged file");
    }

    [Fact]
    public async Task InsertionInTheMiddleCostsAboutTheInsertion()
    {
        var basis = Random(2_000_000, 2);
        var inserted = Random(5_000, 3);
        var changed = basis[..1_000_003].Concat(inserted).Concat(basis[1_000_003..]).ToArray();
        var outcome = await RoundTripAsync(basis, changed);
        Assert.Equal(changed, outcome.Rebuilt);
        Assert.InRange(outcome.Literal, inserted.Length, inserted.Length + 2 * BlockSignature.ChooseBlockSize(basis.Length));
    }

    [Fact]
    public async Task DeletionInTheMiddle()
    {
        var basis = Random(2_000_000, 4);
        var changed = basis[..700_001].Concat(basis[730_000..]).ToArray();
        var outcome = await RoundTripAsync(basis, changed);
        Assert.Equal(changed, outcome.Rebuilt);
        Assert.True(outcome.Literal <= 2 * BlockSignature.ChooseBlockSize(basis.Length), $"{outcome.Literal} literal bytes");
    }

    [Fact]
    public async Task MovedStretchIsFoundAtItsNewOffset()
    {
        var basis = Random(1_500_000, 5);
        // [A][B][C] → [C][A][B] at offsets that are not block boundaries.
        var a = basis[..400_017];
        var b = basis[400_017..1_100_033];
        var c = basis[1_100_033..];
        var changed = c.Concat(a).Concat(b).ToArray();
        var outcome = await RoundTripAsync(basis, changed);
        Assert.Equal(changed, outcome.Rebuilt);
        Assert.True(outcome.Literal <= 6 * BlockSignature.ChooseBlockSize(basis.Length), $"{outcome.Literal} literal bytes");
    }

    [Fact]
    public async Task FileThatShrank()
    {
        var basis = Random(1_000_000, 6);
        var changed = basis[..654_321];
        var outcome = await RoundTripAsync(basis, changed);
        Assert.Equal(changed, outcome.Rebuilt);
        Assert.True(outcome.Literal < BlockSignature.ChooseBlockSize(basis.Length));
    }

    [Fact]
    public async Task FileThatGrew()
    {
        var basis = Random(1_000_003, 7);
        var extra = Random(123_457, 8);
        var changed = basis.Concat(extra).ToArray();
        var outcome = await RoundTripAsync(basis, changed);
        Assert.Equal(changed, outcome.Rebuilt);
        // Every whole block matches; the basis's short last block (3 bytes) is only looked for at the file's end.
        Assert.Equal(extra.Length + 3, outcome.Literal);
    }

    [Fact]
    public async Task ShortLastBlockMatchesAtTheEnd()
    {
        var basis = Random(10_000, 9);
        var changed = Random(3_000, 10).Concat(basis).ToArray();
        var outcome = await RoundTripAsync(basis, changed, blockSize: 1024);
        Assert.Equal(changed, outcome.Rebuilt);
        Assert.Equal(3_000, outcome.Literal);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 5000)]
    [InlineData(5000, 0)]
    [InlineData(100, 100)]
    [InlineData(3_000_000, 2_500_000)]
    public async Task UnrelatedAndEmptyFiles(int basisLength, int changedLength)
    {
        var basis = Random(basisLength, 11);
        var changed = Random(changedLength, 12);
        var outcome = await RoundTripAsync(basis, changed);
        Assert.Equal(changed, outcome.Rebuilt);
        Assert.Equal(changedLength, outcome.Literal);
    }

    [Fact]
    public async Task RepetitiveContentRebuildsExactly()
    {
        // All-zero blocks share one checksum: any of them is a right answer.
        var basis = new byte[500_000];
        var changed = new byte[600_000];
        changed[300_000] = 1;
        var outcome = await RoundTripAsync(basis, changed, blockSize: 1024);
        Assert.Equal(changed, outcome.Rebuilt);
    }

    [Fact]
    public void RollingEqualsFreshChecksumAtEveryOffset()
    {
        var data = Random(5000, 13);
        const int window = 777;
        var rolling = new RollingChecksum(data.AsSpan(0, window));
        for (int i = 1; i + window <= data.Length; i++)
        {
            rolling.Roll(data[i - 1], data[i - 1 + window]);
            Assert.Equal(RollingChecksum.Of(data.AsSpan(i, window)), rolling.Value);
        }
    }

    [Theory]
    [InlineData(0, 700)]
    [InlineData(100_000, 700)]
    [InlineData(1L << 20, 1024)]
    [InlineData(1L << 30, 32768)]
    [InlineData(1L << 40, 131072)]
    public void BlockSizeIsAboutTheSquareRoot(long length, int expected) =>
        Assert.Equal(expected, BlockSignature.ChooseBlockSize(length));

    // Hostile deltas: each refused before anything of the body is written.

    private async Task<(DeltaException Error, long Written)> ApplyHostileAsync(byte[] body, long basisLength = 10_000, int blockSize = 1024, long finalLength = 20_000)
    {
        var basisPath = Path.Combine(_dir, "hostile-basis");
        await File.WriteAllBytesAsync(basisPath, Random((int)basisLength, 14));
        using var basis = File.OpenHandle(basisPath);
        var output = new MemoryStream();
        using var target = new StreamReceiveTarget(output, CancellationToken.None);
        var applier = new DeltaApplier(basis, basisLength, blockSize, target, finalLength);
        var error = await Assert.ThrowsAsync<DeltaException>(() => applier.ApplyAsync(new ReadOnlySequence<byte>(body)).AsTask());
        return (error, output.Length);
    }

    private static byte[] Copy(int first, int count)
    {
        var op = new byte[DeltaCodec.CopyBytes];
        DeltaCodec.WriteCopy(op, first, count);
        return op;
    }

    private static byte[] Literal(int length, int declared)
    {
        var op = new byte[DeltaCodec.LiteralHeaderBytes + length];
        DeltaCodec.WriteLiteralHeader(op, declared);
        return op;
    }

    [Theory]
    [InlineData(10, 1)]            // 10 blocks: 0-9
    [InlineData(9, 2)]
    [InlineData(0, 11)]
    [InlineData(int.MaxValue, int.MaxValue)]
    [InlineData(-1, 1)]
    [InlineData(0, 0)]
    public async Task CopyOutsideTheBasisIsRefused(int first, int count)
    {
        var body = Literal(10, 10).Concat(Copy(first, count)).ToArray();
        var (_, written) = await ApplyHostileAsync(body);
        Assert.Equal(0, written);
    }

    [Fact]
    public async Task DeltaBuildingMoreThanAnnouncedIsRefused()
    {
        // 10 blocks = 10,000 bytes of copy, plus a literal of 11: one byte past the announced 10,010.
        var body = Copy(0, 10).Concat(Literal(11, 11)).ToArray();
        var (error, written) = await ApplyHostileAsync(body, finalLength: 10_010);
        Assert.Contains("announced", error.Message);
        Assert.Equal(0, written);
    }

    [Theory]
    [InlineData(20, 30)]   // declares more than the body has
    [InlineData(0, 0)]     // zero-length literal
    [InlineData(4, -5)]    // negative length
    public async Task LiteralLengthLiesAreRefused(int actual, int declared)
    {
        var (_, written) = await ApplyHostileAsync(Copy(0, 1).Concat(Literal(actual, declared)).ToArray());
        Assert.Equal(0, written);
    }

    [Fact]
    public async Task UnknownInstructionAndCutOffInstructionAreRefused()
    {
        await ApplyHostileAsync([0x07, 0, 0, 0, 0]);
        await ApplyHostileAsync(Copy(0, 1)[..5]);
    }

    [Fact]
    public void SignatureParserRefusesLies()
    {
        var good = new BlockSignature(1024, 3000, [1, 2, 3], new byte[3 * BlockSignature.StrongBytes]).ToArray();
        Assert.True(Parse(good));
        Assert.False(Parse(good[..^1]));                         // cut short
        Assert.False(Parse([.. good, 0]));                       // trailing byte
        Assert.False(Parse(good[..5]));                          // inside the header
        var hugeBlocks = (byte[])good.Clone();
        BitConverter.TryWriteBytes(hugeBlocks.AsSpan(0, 4), 1 << 20);   // block size over the limit
        Assert.False(Parse(hugeBlocks));
        var tiny = (byte[])good.Clone();
        BitConverter.TryWriteBytes(tiny.AsSpan(0, 4), 16);
        Assert.False(Parse(tiny));
        var manyBlocks = (byte[])good.Clone();
        BitConverter.TryWriteBytes(manyBlocks.AsSpan(4, 8), long.MaxValue); // length whose block count passes the limit
        Assert.False(Parse(manyBlocks));
        var negative = (byte[])good.Clone();
        BitConverter.TryWriteBytes(negative.AsSpan(4, 8), -1L);
        Assert.False(Parse(negative));

        static bool Parse(byte[] bytes)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
            return BlockSignature.TryRead(ref reader, out _);
        }
    }
}

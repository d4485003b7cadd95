using System.Buffers;
using System.Collections.Concurrent;
using ZstdSharp;

namespace Ferry.Transfers;

/// <summary>
/// Compression of file data on the wire (docs/protocol.md §5.4.5): a transfer asks for it with
/// <c>"compress":"zstd"</c>, and each <c>file.data</c> body that shrinks travels as one zstd frame, marked with
/// <c>"zstd": N</c> (the bytes it decompresses to). A body that does not shrink travels as it is.
/// </summary>
public static class FileCompression
{
    /// <summary>The one encoding Ferry speaks: zstd frames (RFC 8878).</summary>
    public const string Zstd = "zstd";

    /// <summary>The encodings a server of this build reads, as its <c>hello</c> lists them.</summary>
    public static IReadOnlyList<string> Encodings { get; } = [Zstd];

    /// <summary>
    /// zstd's own default: 33% of the bench's text tree against 35.5% at level 1, at a speed the network, not the
    /// compressor, limits on the links compression is for.
    /// </summary>
    internal const int Level = 3;

    /// <summary>Whether <paramref name="encoding"/> (a <c>compress</c> field) asks for something this build speaks.</summary>
    internal static bool IsKnown(string? encoding) => encoding == Zstd;
}

/// <summary>
/// Compresses the bodies of one transfer: a zstd context and an output buffer, both reused for every body (and the
/// context given back to a small pool afterwards), so the steady state allocates nothing.
/// </summary>
internal sealed class BodyCompressor : IDisposable
{
    // Bodies this short are not worth a frame header of their own.
    private const int MinimumBytes = 64;

    // After a body that did not shrink, this many go as they are without trying: already-compressed data (media,
    // archives) then costs a quarter of the compression work, and a file that changes kind is tried again soon.
    private const int SkipAfterMiss = 3;

    private Compressor? _zstd = ZstdContexts.RentCompressor();
    private byte[]? _output;
    private int _skip;

    /// <summary>Bytes handed to <see cref="TryCompress"/> so far.</summary>
    public long InputBytes { get; private set; }

    /// <summary>Bytes those became on the wire: compressed bodies at their compressed size, the rest as they were.</summary>
    public long OutputBytes { get; private set; }

    /// <summary>
    /// The compressed form of <paramref name="raw"/> (valid until the next call) when it is at least 1/64 smaller;
    /// false when the body should go as it is.
    /// </summary>
    public bool TryCompress(ReadOnlySpan<byte> raw, out ReadOnlyMemory<byte> compressed)
    {
        ObjectDisposedException.ThrowIf(_zstd is null, this);
        compressed = default;
        InputBytes += raw.Length;
        OutputBytes += raw.Length;
        if (raw.Length < MinimumBytes) return false;
        if (_skip > 0)
        {
            _skip--;
            return false;
        }
        _output ??= ArrayPool<byte>.Shared.Rent(Compressor.GetCompressBound(TransferBuffers.ChunkBytes));
        int worthIt = raw.Length - raw.Length / 64;
        // A destination as large as the bound never fails; a result past worthIt is as good as a failure.
        var destination = _output.AsSpan(0, Compressor.GetCompressBound(raw.Length));
        int n = _zstd.Wrap(raw, destination);
        if (n >= worthIt)
        {
            _skip = SkipAfterMiss;
            return false;
        }
        compressed = _output.AsMemory(0, n);
        OutputBytes -= raw.Length - n;
        return true;
    }

    public void Dispose()
    {
        if (_zstd is null) return;
        ZstdContexts.Return(_zstd);
        _zstd = null;
        if (_output is not null) ArrayPool<byte>.Shared.Return(_output);
        _output = null;
    }
}

/// <summary>
/// Decompresses a peer's compressed bodies for one transfer, never into more than the body claims and never more
/// than <see cref="TransferBuffers.ChunkBytes"/>: a zstd frame that says (or turns out) to be larger is refused
/// before any of it is used, so a small hostile frame cannot make the receiver allocate or write more.
/// </summary>
internal sealed class BodyDecompressor : IDisposable
{
    private Decompressor? _zstd = ZstdContexts.RentDecompressor();
    private byte[]? _input;
    private byte[]? _output;

    /// <summary>The most a compressed body may carry on the wire (it must be smaller than what it stands for).</summary>
    public const int MaxCompressedBytes = TransferBuffers.ChunkBytes;

    /// <summary>
    /// The bytes <paramref name="body"/> (one whole compressed body) stands for, exactly <paramref name="claimed"/> of
    /// them (valid until the next call). Throws <see cref="CompressedBodyException"/> on bad zstd data, a claim out of
    /// range, or a frame that decompresses to more or fewer bytes than claimed.
    /// </summary>
    public ReadOnlyMemory<byte> Decompress(ReadOnlySequence<byte> body, long claimed)
    {
        ObjectDisposedException.ThrowIf(_zstd is null, this);
        Check(body.Length, claimed);
        ReadOnlySpan<byte> source;
        if (body.IsSingleSegment)
        {
            source = body.FirstSpan;
        }
        else
        {
            _input ??= ArrayPool<byte>.Shared.Rent(MaxCompressedBytes);
            body.CopyTo(_input);
            source = _input.AsSpan(0, (int)body.Length);
        }
        _output ??= ArrayPool<byte>.Shared.Rent(TransferBuffers.ChunkBytes);
        int written;
        try
        {
            // A frame whose header announces more than the room given fails here at once, before any decoding.
            if (!_zstd.TryUnwrap(source, _output.AsSpan(0, (int)claimed), out written))
            {
                throw new CompressedBodyException($"the compressed body decompresses to more than the {claimed} bytes its 'zstd' field claims");
            }
        }
        catch (ZstdException ex)
        {
            throw new CompressedBodyException($"the compressed body is not valid zstd data ({ex.Message})");
        }
        if (written != claimed)
        {
            throw new CompressedBodyException($"the compressed body decompresses to {written} bytes, not the {claimed} its 'zstd' field claims");
        }
        return _output.AsMemory(0, written);
    }

    /// <summary>Checks a compressed body's size and claim before it is read (pure).</summary>
    public static void Check(long bodyLength, long claimed)
    {
        if (claimed is < 1 or > TransferBuffers.ChunkBytes)
        {
            throw new CompressedBodyException($"'zstd' (the bytes a compressed body decompresses to) must be 1-{TransferBuffers.ChunkBytes}, not {claimed}");
        }
        if (bodyLength is < 1 or > MaxCompressedBytes)
        {
            throw new CompressedBodyException($"a compressed body is 1-{MaxCompressedBytes} bytes, not {bodyLength}");
        }
    }

    public void Dispose()
    {
        if (_zstd is null) return;
        ZstdContexts.Return(_zstd);
        _zstd = null;
        if (_input is not null) ArrayPool<byte>.Shared.Return(_input);
        if (_output is not null) ArrayPool<byte>.Shared.Return(_output);
        _input = _output = null;
    }
}

/// <summary>A compressed body that cannot be used: bad zstd data, or a size claim it does not keep.</summary>
internal sealed class CompressedBodyException(string message) : Exception(message);

/// <summary>
/// zstd contexts kept between transfers (a compression context is over a megabyte of tables): a tree of small
/// files reuses a few instead of building one per file.
/// </summary>
internal static class ZstdContexts
{
    private const int Kept = 8;
    private static readonly ConcurrentBag<Compressor> s_compressors = [];
    private static readonly ConcurrentBag<Decompressor> s_decompressors = [];

    public static Compressor RentCompressor() =>
        s_compressors.TryTake(out var zstd) ? zstd : new Compressor(FileCompression.Level);

    public static Decompressor RentDecompressor() =>
        s_decompressors.TryTake(out var zstd) ? zstd : new Decompressor();

    public static void Return(Compressor zstd)
    {
        if (s_compressors.Count < Kept) s_compressors.Add(zstd);
        else zstd.Dispose();
    }

    public static void Return(Decompressor zstd)
    {
        if (s_decompressors.Count < Kept) s_decompressors.Add(zstd);
        else zstd.Dispose();
    }
}

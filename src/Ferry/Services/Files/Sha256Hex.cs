using System.Security.Cryptography;

namespace Ferry.Services.Files;

/// <summary>SHA-256 as lower-case hex, the form hashes take on the wire.</summary>
public static class Sha256Hex
{
    public static string Of(IncrementalHash hash) => Convert.ToHexStringLower(hash.GetCurrentHash());

    public static IncrementalHash Create() => IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Whether two hex hashes are equal, ignoring case.</summary>
    public static bool Same(string? a, string? b) => a is not null && b is not null && string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>Feeds the first <paramref name="length"/> bytes of <paramref name="stream"/> (from position 0) into <paramref name="hash"/>.</summary>
    public static async Task AppendPrefixAsync(IncrementalHash hash, Stream stream, long length, CancellationToken cancellationToken = default)
    {
        stream.Position = 0;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(TransferBuffers.ChunkBytes);
        try
        {
            long left = length;
            while (left > 0)
            {
                int n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(left, buffer.Length)), cancellationToken).ConfigureAwait(false);
                if (n == 0) throw new EndOfStreamException($"the file ended after {length - left} of {length} bytes");
                hash.AppendData(buffer, 0, n);
                left -= n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

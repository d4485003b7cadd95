using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Ferry.Transfers;

/// <summary>SHA-256 as lower-case hex, the form hashes take on the wire.</summary>
internal static class Sha256Hex
{
    public static string Of(IncrementalHash hash) => Convert.ToHexStringLower(hash.GetCurrentHash());

    public static IncrementalHash Create() => IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Whether two hex hashes are equal, ignoring case.</summary>
    public static bool Same(string? a, string? b) => a is not null && b is not null && string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="hex"/> is a SHA-256 in hex: 64 hex digits, either case.</summary>
    public static bool IsValid(string? hex) => hex is { Length: 64 } && hex.All(char.IsAsciiHexDigit);

    /// <summary>Feeds the first <paramref name="length"/> bytes of <paramref name="file"/> into <paramref name="hash"/>.</summary>
    public static async Task AppendPrefixAsync(IncrementalHash hash, SafeFileHandle file, long length, CancellationToken cancellationToken = default)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(TransferBuffers.ChunkBytes);
        try
        {
            long done = 0;
            while (done < length)
            {
                int n = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(length - done, buffer.Length)), done, cancellationToken).ConfigureAwait(false);
                if (n == 0) throw new EndOfStreamException($"the file ended after {done} of {length} bytes");
                hash.AppendData(buffer, 0, n);
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

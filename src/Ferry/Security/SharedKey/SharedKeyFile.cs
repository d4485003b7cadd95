using System.Security.Cryptography;

namespace Ferry.Security.SharedKey;

/// <summary>
/// The 256-bit shared key: a file holding the key in base64 on one line, readable only by its owner.
/// Whoever holds it may do everything, like an ssh private key.
/// </summary>
public static class SharedKeyFile
{
    /// <summary>The key length: 256 bits.</summary>
    public const int KeyBytes = 32;

    /// <summary>Reads the key at <paramref name="path"/>, creating a fresh one if the file does not exist.</summary>
    public static byte[] LoadOrCreate(string path)
    {
        if (!File.Exists(path)) Write(path, RandomNumberGenerator.GetBytes(KeyBytes));
        return Load(path);
    }

    /// <summary>Reads the key; a file that does not hold one is a clear error.</summary>
    public static byte[] Load(string path)
    {
        var text = File.ReadAllText(path).Trim();
        return Parse(text) ?? throw new InvalidDataException(
            $"{path} does not hold a Ferry key (expected {KeyBytes} bytes in base64 on one line; 'ferry key show' prints one)");
    }

    /// <summary>Replaces the key with a new random one and returns it.</summary>
    public static byte[] Rotate(string path)
    {
        var key = RandomNumberGenerator.GetBytes(KeyBytes);
        Write(path, key);
        return key;
    }

    /// <summary>The key as the one base64 line the key file holds.</summary>
    public static string Format(ReadOnlySpan<byte> key) => Convert.ToBase64String(key);

    /// <summary>Parses a base64 key of exactly 32 bytes; null otherwise.</summary>
    public static byte[]? Parse(string text)
    {
        var buffer = new byte[KeyBytes + 3];
        return Convert.TryFromBase64String(text.Trim(), buffer, out int written) && written == KeyBytes ? buffer[..KeyBytes] : null;
    }

    private static void Write(string path, byte[] key) => SecureFile.WriteAllText(path, Format(key) + "\n", ownerOnly: true);
}

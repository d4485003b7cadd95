using System.Security.Cryptography;
using System.Text;

namespace Ferry.Security.Scram;

/// <summary>The SCRAM-SHA-256 arithmetic of RFC 5802 §3 with SHA-256 (RFC 7677). Pure functions, no I/O.</summary>
public static class ScramSha256
{
    /// <summary>The fewest PBKDF2 iterations accepted (RFC 7677's minimum).</summary>
    public const int MinIterations = 4096;
    /// <summary>The iterations new accounts get.</summary>
    public const int DefaultIterations = 100_000;
    /// <summary>The most iterations a client will compute: a server asking more is refused (a CPU burn).</summary>
    public const int MaxIterations = 10_000_000;
    /// <summary>The salt length of new accounts.</summary>
    public const int SaltBytes = 16;

    private static readonly byte[] s_clientKeyLabel = "Client Key"u8.ToArray();
    private static readonly byte[] s_serverKeyLabel = "Server Key"u8.ToArray();

    /// <summary>Hi(password, salt, i): PBKDF2-HMAC-SHA256. The password is used as its UTF-8 bytes (no SASLprep).</summary>
    public static byte[] SaltedPassword(string password, ReadOnlySpan<byte> salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);

    /// <summary>HMAC(SaltedPassword, "Client Key").</summary>
    public static byte[] ClientKey(ReadOnlySpan<byte> saltedPassword) => HMACSHA256.HashData(saltedPassword, s_clientKeyLabel);

    /// <summary>HMAC(SaltedPassword, "Server Key").</summary>
    public static byte[] ServerKey(ReadOnlySpan<byte> saltedPassword) => HMACSHA256.HashData(saltedPassword, s_serverKeyLabel);

    /// <summary>H(ClientKey): what the server stores to check a client proof.</summary>
    public static byte[] StoredKey(ReadOnlySpan<byte> clientKey) => SHA256.HashData(clientKey);

    /// <summary>What the server stores for a password: never the password or a plain hash of it.</summary>
    public static ScramCredential CreateCredential(string password, int iterations = DefaultIterations)
    {
        if (iterations is < MinIterations or > MaxIterations)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), $"iterations must be {MinIterations}-{MaxIterations}");
        }
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var salted = SaltedPassword(password, salt, iterations);
        return new ScramCredential(salt, iterations, StoredKey(ClientKey(salted)), ServerKey(salted));
    }

    /// <summary>ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage).</summary>
    public static byte[] ClientProof(ReadOnlySpan<byte> clientKey, string authMessage)
    {
        var signature = HMACSHA256.HashData(StoredKey(clientKey), Encoding.UTF8.GetBytes(authMessage));
        for (int i = 0; i < signature.Length; i++) signature[i] ^= clientKey[i];
        return signature;
    }

    /// <summary>Recovers ClientKey from the proof and checks H(ClientKey) == StoredKey, in constant time.</summary>
    public static bool VerifyClientProof(ReadOnlySpan<byte> storedKey, string authMessage, ReadOnlySpan<byte> proof)
    {
        if (proof.Length != 32) return false;
        var clientKey = HMACSHA256.HashData(storedKey, Encoding.UTF8.GetBytes(authMessage));
        for (int i = 0; i < clientKey.Length; i++) clientKey[i] ^= proof[i];
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(clientKey), storedKey);
    }

    /// <summary>HMAC(ServerKey, AuthMessage): the server's proof to the client.</summary>
    public static byte[] ServerSignature(ReadOnlySpan<byte> serverKey, string authMessage) =>
        HMACSHA256.HashData(serverKey, Encoding.UTF8.GetBytes(authMessage));

    /// <summary>A printable nonce of 24 random bytes (base64 never contains ',').</summary>
    public static string NewNonce() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    /// <summary>RFC 5802 saslname: '=' and ',' escaped as =3D and =2C.</summary>
    public static string EscapeName(string name) => name.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);

    /// <summary>A SASL name with <c>=2C</c> and <c>=3D</c> decoded; null when another <c>=</c> escape appears.</summary>
    public static string? UnescapeName(string saslName)
    {
        var sb = new StringBuilder(saslName.Length);
        for (int i = 0; i < saslName.Length; i++)
        {
            if (saslName[i] != '=')
            {
                sb.Append(saslName[i]);
                continue;
            }
            if (i + 2 >= saslName.Length) return null;
            var code = saslName.Substring(i + 1, 2);
            if (code == "3D") sb.Append('=');
            else if (code == "2C") sb.Append(',');
            else return null;
            i += 2;
        }
        return sb.ToString();
    }

    /// <summary>Splits <c>a=x,b=y</c> into attributes; null when malformed or an attribute repeats.</summary>
    internal static Dictionary<char, string>? ParseAttributes(string message)
    {
        var result = new Dictionary<char, string>();
        foreach (var part in message.Split(','))
        {
            if (part.Length < 2 || part[1] != '=' || !char.IsAsciiLetter(part[0])) return null;
            if (!result.TryAdd(part[0], part[2..])) return null;
        }
        return result;
    }
}

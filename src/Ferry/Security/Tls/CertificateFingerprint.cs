using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Security.Tls;

/// <summary>The SHA-256 of a certificate's DER bytes: shown to people as <c>SHA256:hex</c>, and used as the channel binding.</summary>
public static class CertificateFingerprint
{
    /// <summary>The fingerprint as people compare it: <c>SHA256:</c> and 64 lower-case hex digits.</summary>
    public static string Of(X509Certificate2 certificate) => Format(Hash(certificate));

    /// <summary>SHA-256 over the DER encoding (as RFC 5929 tls-server-end-point does for SHA-256 certificates).</summary>
    public static byte[] Hash(X509Certificate2 certificate) => SHA256.HashData(certificate.RawData);

    /// <summary><c>SHA256:</c> and the hash in lower-case hex, as known_hosts keeps it.</summary>
    public static string Format(ReadOnlySpan<byte> hash) => "SHA256:" + Convert.ToHexStringLower(hash);

    /// <summary>Whether two fingerprints are the same (case-insensitive hex, constant time).</summary>
    public static bool AreEqual(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(a.ToLowerInvariant()), System.Text.Encoding.ASCII.GetBytes(b.ToLowerInvariant()));
}

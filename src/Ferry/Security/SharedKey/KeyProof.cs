using System.Security.Cryptography;
using System.Text;

namespace Ferry.Security.SharedKey;

/// <summary>
/// The shared-key challenge-response (docs/security.md §3.1). Each side proves it holds the key with
/// HMAC-SHA256(key, label ‖ server nonce ‖ client nonce ‖ channel binding). The two labels differ, so one side's
/// proof can never be reflected back as the other's; the fresh nonces make a recorded proof useless later; the
/// channel binding (the server certificate's hash) makes a proof relayed through another TLS connection useless.
/// </summary>
internal static class KeyProof
{
    public const int NonceBytes = 32;

    private static readonly byte[] s_clientLabel = Encoding.ASCII.GetBytes("ferry key v1 client proof\0");
    private static readonly byte[] s_serverLabel = Encoding.ASCII.GetBytes("ferry key v1 server proof\0");

    /// <summary>The proof the client sends.</summary>
    public static byte[] Client(ReadOnlySpan<byte> key, ReadOnlySpan<byte> serverNonce, ReadOnlySpan<byte> clientNonce, ReadOnlySpan<byte> channelBinding) =>
        Compute(key, s_clientLabel, serverNonce, clientNonce, channelBinding);

    /// <summary>The proof the server sends back.</summary>
    public static byte[] Server(ReadOnlySpan<byte> key, ReadOnlySpan<byte> serverNonce, ReadOnlySpan<byte> clientNonce, ReadOnlySpan<byte> channelBinding) =>
        Compute(key, s_serverLabel, serverNonce, clientNonce, channelBinding);

    /// <summary>Constant-time comparison of a received proof with the expected one.</summary>
    public static bool Matches(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> received) =>
        CryptographicOperations.FixedTimeEquals(expected, received);

    private static byte[] Compute(ReadOnlySpan<byte> key, byte[] label, ReadOnlySpan<byte> serverNonce, ReadOnlySpan<byte> clientNonce, ReadOnlySpan<byte> channelBinding)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(label);
        hmac.AppendData(serverNonce);
        hmac.AppendData(clientNonce);
        hmac.AppendData(channelBinding);
        return hmac.GetHashAndReset();
    }
}

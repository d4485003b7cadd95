using System.Globalization;
using System.Security.Cryptography;

namespace Ferry.Security.Scram;

/// <summary>
/// The client side of one SCRAM-SHA-256 exchange: <see cref="ClientFirst"/>, then <see cref="ClientFinal"/> with
/// the server's challenge, then <see cref="VerifyServerFinal"/>, which proves the server knew the verifier.
/// </summary>
internal sealed class ScramClient
{
    private readonly string _user;
    private readonly string _password;
    private readonly ScramChannelBinding _binding;
    private readonly string _clientNonce;
    private readonly Func<string, byte[], int, byte[]> _saltedPassword;
    private string? _clientFirstBare;
    private string? _authMessage;
    private byte[]? _serverKey;

    /// <param name="user">The login name (escaped for SASL here).</param>
    /// <param name="password">The password; it never leaves this object.</param>
    /// <param name="binding">The channel to bind the proof to (the TLS certificate's hash, or none over plaintext).</param>
    /// <param name="clientNonce">The client nonce; a fresh random one when null (tests fix it to replay RFC vectors).</param>
    /// <param name="saltedPassword">Computes Hi(password, salt, i); a caller may cache it (RFC 5802 §5.1).</param>
    public ScramClient(string user, string password, ScramChannelBinding binding, string? clientNonce = null,
        Func<string, byte[], int, byte[]>? saltedPassword = null)
    {
        _user = user;
        _password = password;
        _binding = binding;
        _clientNonce = clientNonce ?? ScramSha256.NewNonce();
        _saltedPassword = saltedPassword ?? ((p, s, i) => ScramSha256.SaltedPassword(p, s, i));
    }

    public string ClientFirst()
    {
        _clientFirstBare = $"n={ScramSha256.EscapeName(_user)},r={_clientNonce}";
        return _binding.Gs2Header + _clientFirstBare;
    }

    public string ClientFinal(string serverFirst)
    {
        if (_clientFirstBare is null) throw new InvalidOperationException("ClientFirst comes first");
        var attributes = ScramSha256.ParseAttributes(serverFirst)
            ?? throw new ScramException("the server's SCRAM challenge is malformed");
        if (attributes.TryGetValue('e', out var error)) throw new ScramException($"the server refused: {error}", authenticationFailed: true);
        if (!attributes.TryGetValue('r', out var nonce) || !attributes.TryGetValue('s', out var saltText) || !attributes.TryGetValue('i', out var iterationText))
        {
            throw new ScramException("the server's SCRAM challenge lacks r=, s= or i=");
        }
        if (!nonce.StartsWith(_clientNonce, StringComparison.Ordinal) || nonce.Length <= _clientNonce.Length)
        {
            throw new ScramException("the server's SCRAM nonce does not extend ours (tampered or replayed challenge)");
        }
        if (!int.TryParse(iterationText, NumberStyles.None, CultureInfo.InvariantCulture, out int iterations)
            || iterations is < ScramSha256.MinIterations or > ScramSha256.MaxIterations)
        {
            throw new ScramException($"the server asked for {iterationText} SCRAM iterations; accepted: {ScramSha256.MinIterations}-{ScramSha256.MaxIterations}");
        }
        byte[] salt;
        try
        {
            salt = Convert.FromBase64String(saltText);
        }
        catch (FormatException)
        {
            throw new ScramException("the server's SCRAM salt is not base64");
        }
        var withoutProof = $"c={_binding.ExpectedC},r={nonce}";
        _authMessage = $"{_clientFirstBare},{serverFirst},{withoutProof}";
        var salted = _saltedPassword(_password, salt, iterations);
        var clientKey = ScramSha256.ClientKey(salted);
        _serverKey = ScramSha256.ServerKey(salted);
        var proof = ScramSha256.ClientProof(clientKey, _authMessage);
        return $"{withoutProof},p={Convert.ToBase64String(proof)}";
    }

    /// <summary>Checks the server's signature; throws when the server could not prove it knows the verifier.</summary>
    public void VerifyServerFinal(string serverFinal)
    {
        if (_authMessage is null || _serverKey is null) throw new InvalidOperationException("ClientFinal comes first");
        var attributes = ScramSha256.ParseAttributes(serverFinal)
            ?? throw new ScramException("the server's SCRAM final message is malformed");
        if (attributes.TryGetValue('e', out var error)) throw new ScramException($"the server refused: {error}", authenticationFailed: true);
        if (!attributes.TryGetValue('v', out var verifier)) throw new ScramException("the server's SCRAM final message lacks v=");
        var expected = ScramSha256.ServerSignature(_serverKey, _authMessage);
        var buffer = new byte[48];
        if (!Convert.TryFromBase64String(verifier, buffer, out int written) || !CryptographicOperations.FixedTimeEquals(buffer.AsSpan(0, written), expected))
        {
            throw new ScramException("the server's SCRAM signature is wrong: it does not know this account (a fake server?)", authenticationFailed: true);
        }
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Ferry.Security.Scram;

/// <summary>
/// The server side of one SCRAM-SHA-256 exchange. An unknown user gets a challenge that looks like a real one
/// (a salt derived from a server secret, so it is stable per name) and then fails exactly like a wrong password,
/// so the exchange does not reveal which names exist.
/// </summary>
internal sealed class ScramServer
{
    private readonly Func<string, ScramCredential?> _lookup;
    private readonly ScramChannelBinding _binding;
    private readonly byte[] _decoySecret;
    private readonly int _decoyIterations;
    private readonly string _serverNonce;
    private ScramCredential? _credential;
    private string? _clientFirstBare;
    private string? _serverFirst;
    private string? _nonce;

    /// <param name="lookup">Finds a user's verifier; null for an unknown user.</param>
    /// <param name="binding">The channel the client must bind to.</param>
    /// <param name="decoySecret">A server secret that derives believable salts for unknown users.</param>
    /// <param name="decoyIterations">The iteration count an unknown user is offered, so it looks like a real one.</param>
    /// <param name="serverNonce">The server's nonce part; a fresh random one when null (tests fix it).</param>
    public ScramServer(Func<string, ScramCredential?> lookup, ScramChannelBinding binding, byte[] decoySecret,
        int decoyIterations = ScramSha256.DefaultIterations, string? serverNonce = null)
    {
        _lookup = lookup;
        _binding = binding;
        _decoySecret = decoySecret;
        _decoyIterations = decoyIterations;
        _serverNonce = serverNonce ?? ScramSha256.NewNonce();
    }

    /// <summary>The user name the client asked for, once the first message is read.</summary>
    public string? User { get; private set; }

    /// <summary>Whether the user exists (for the server's log only; never told to the client).</summary>
    public bool UserKnown { get; private set; }

    public string HandleClientFirst(string clientFirst)
    {
        // gs2-header = cbind-flag "," [authzid] ","
        int first = clientFirst.IndexOf(',', StringComparison.Ordinal);
        int second = first < 0 ? -1 : clientFirst.IndexOf(',', first + 1);
        if (second < 0) throw new ScramException("the SCRAM client-first message has no GS2 header (expected 'n,,' or 'p=tls-server-end-point,,')");
        var flag = clientFirst[..first];
        var authzid = clientFirst[(first + 1)..second];
        if (authzid.Length > 0) throw new ScramException("SCRAM authorization identities (a=) are not supported");
        string expectedFlag = _binding.Type is null ? "n" : "p=" + _binding.Type;
        if (flag != expectedFlag && !(flag == "y" && _binding.Type is null))
        {
            throw new ScramException(_binding.Type is null
                ? $"SCRAM channel binding '{flag}' is not available on a plaintext connection; use 'n'"
                : $"SCRAM over TLS must bind to the channel with 'p={_binding.Type}' (got '{flag}'; a downgrade?)");
        }
        _clientFirstBare = clientFirst[(second + 1)..];
        var attributes = ScramSha256.ParseAttributes(_clientFirstBare);
        if (attributes is null || !attributes.TryGetValue('n', out var saslName) || !attributes.TryGetValue('r', out var clientNonce))
        {
            throw new ScramException("the SCRAM client-first message needs n=USER,r=NONCE");
        }
        if (attributes.ContainsKey('m')) throw new ScramException("SCRAM extensions (m=) are not supported");
        if (clientNonce.Length is < 8 or > 128 || clientNonce.Contains(',', StringComparison.Ordinal))
        {
            throw new ScramException("the SCRAM client nonce must be 8-128 printable characters");
        }
        User = ScramSha256.UnescapeName(saslName) ?? throw new ScramException("the SCRAM user name has a bad escape");
        _credential = _lookup(User);
        UserKnown = _credential is not null;
        _credential ??= Decoy(User);
        _nonce = clientNonce + _serverNonce;
        _serverFirst = $"r={_nonce},s={Convert.ToBase64String(_credential.Salt)},i={_credential.Iterations}";
        return _serverFirst;
    }

    /// <summary>Checks the client's proof and returns the server-final message (<c>v=...</c>).</summary>
    public string HandleClientFinal(string clientFinal)
    {
        if (_serverFirst is null || _credential is null) throw new InvalidOperationException("HandleClientFirst comes first");
        int proofAt = clientFinal.LastIndexOf(",p=", StringComparison.Ordinal);
        if (proofAt < 0) throw new ScramException("the SCRAM client-final message has no proof (p=)");
        var withoutProof = clientFinal[..proofAt];
        var attributes = ScramSha256.ParseAttributes(withoutProof);
        if (attributes is null || !attributes.TryGetValue('c', out var channel) || !attributes.TryGetValue('r', out var nonce))
        {
            throw new ScramException("the SCRAM client-final message needs c=, r= and p=");
        }
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(channel), Encoding.ASCII.GetBytes(_binding.ExpectedC)))
        {
            throw new ScramException("the SCRAM channel binding does not match this connection (the exchange was relayed through another TLS connection?)", authenticationFailed: true);
        }
        if (nonce != _nonce) throw new ScramException("the SCRAM nonce does not match this exchange (replayed or tampered)", authenticationFailed: true);
        var proof = new byte[48];
        if (!Convert.TryFromBase64String(clientFinal[(proofAt + 3)..], proof, out int proofLength)) throw new ScramException("the SCRAM proof is not base64");
        var authMessage = $"{_clientFirstBare},{_serverFirst},{withoutProof}";
        if (!UserKnown || !ScramSha256.VerifyClientProof(_credential.StoredKey, authMessage, proof.AsSpan(0, proofLength)))
        {
            throw new ScramException("unknown user or wrong password", authenticationFailed: true);
        }
        return "v=" + Convert.ToBase64String(ScramSha256.ServerSignature(_credential.ServerKey, authMessage));
    }

    private ScramCredential Decoy(string user)
    {
        var salt = HMACSHA256.HashData(_decoySecret, Encoding.UTF8.GetBytes("decoy salt\0" + user))[..ScramSha256.SaltBytes];
        return new ScramCredential(salt, _decoyIterations, RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
    }
}

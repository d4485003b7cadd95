using System.Security.Cryptography;
using Ferry.Protocol;
using Ferry.Security;
using Ferry.Security.Scram;
using Ferry.Security.SharedKey;

namespace Ferry.Client;

/// <summary>
/// The client side of the handshake (docs/security.md §3): SCRAM-SHA-256 when a user is given, otherwise the
/// shared key. Either way the server must prove itself too before the connection is handed to the caller.
/// </summary>
internal static class ClientAuthenticator
{
    public static async Task<AuthOkMessage> RunAsync(FerryClient client, byte[] channelBinding, CancellationToken cancellationToken)
    {
        var options = client.Options;
        var offered = client.ServerHello.Auth;
        if (options.User is { } user)
        {
            if (!offered.Contains(AuthMethods.Scram))
            {
                throw new FerryException(ProtocolError.AuthFailed, $"{options.Target} does not offer user logins (it offers: {string.Join(", ", offered)})");
            }
            return await ScramAsync(client, user, channelBinding, cancellationToken).ConfigureAwait(false);
        }
        if (!offered.Contains(AuthMethods.Key))
        {
            throw new FerryException(ProtocolError.AuthFailed, $"{options.Target} does not accept the shared key (it offers: {string.Join(", ", offered)}); log in with --user NAME");
        }
        var keyFile = options.ResolveKeyFile() ?? throw new FerryException(ProtocolError.AuthFailed,
            $"{options.Target} requires authentication and no key was found: give --key-file PATH (or set FERRY_KEY_FILE, or put the server's key in {Path.Combine(options.StateDirectory, StateFolder.KeyFileName)}; 'ferry key show' on the server prints it), or log in with --user NAME");
        byte[] key;
        try
        {
            key = SharedKeyFile.Load(keyFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new FerryException(ProtocolError.AuthFailed, $"cannot read the key file: {ex.Message}");
        }
        return await KeyAsync(client, key, channelBinding, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<AuthOkMessage> KeyAsync(FerryClient client, byte[] key, byte[] binding, CancellationToken cancellationToken)
    {
        var challenge = await client.RequestAsync<object, KeyChallengeMessage>(MessageTypes.AuthKeyStart, null, null,
            AuthJsonContext.Default.KeyChallengeMessage, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        var serverNonce = Decode(challenge.Payload?.Nonce, KeyProof.NonceBytes, "the server's key challenge nonce");
        var clientNonce = RandomNumberGenerator.GetBytes(KeyProof.NonceBytes);
        var ok = await client.RequestAsync(MessageTypes.AuthKeyProof, new KeyProofMessage
        {
            Nonce = Convert.ToBase64String(clientNonce),
            Proof = Convert.ToBase64String(KeyProof.Client(key, serverNonce, clientNonce, binding)),
        }, AuthJsonContext.Default.KeyProofMessage, AuthJsonContext.Default.AuthOkMessage, cancellationToken).ConfigureAwait(false);
        var message = ok.Payload!;
        var serverProof = Decode(message.Proof, 32, "the server's key proof");
        if (!KeyProof.Matches(KeyProof.Server(key, serverNonce, clientNonce, binding), serverProof))
        {
            throw new FerryException(ProtocolError.AuthFailed,
                $"{client.Options.Target} could not prove it holds the key: it is not the server the key belongs to (an impostor?); disconnected");
        }
        return message;
    }

    private static async Task<AuthOkMessage> ScramAsync(FerryClient client, string user, byte[] binding, CancellationToken cancellationToken)
    {
        var options = client.Options;
        var password = options.Password ?? throw new FerryException(ProtocolError.AuthFailed, $"logging in as '{user}' needs a password (FERRY_PASSWORD, or type it when asked)");
        var scram = new ScramClient(user, password,
            binding.Length > 0 ? ScramChannelBinding.ForServerCertificateHash(binding) : ScramChannelBinding.None,
            saltedPassword: (p, salt, iterations) => options.SaltedPasswords.GetOrAdd(
                Convert.ToBase64String(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(p))) + ":" + Convert.ToBase64String(salt) + ":" + iterations,
                _ => ScramSha256.SaltedPassword(p, salt, iterations)));
        try
        {
            var challenge = await client.RequestAsync(MessageTypes.AuthScramStart, new ScramMessage { Message = scram.ClientFirst() },
                AuthJsonContext.Default.ScramMessage, AuthJsonContext.Default.ScramMessage, cancellationToken).ConfigureAwait(false);
            var final = scram.ClientFinal(challenge.Payload!.Message);
            var ok = await client.RequestAsync(MessageTypes.AuthScramFinal, new ScramMessage { Message = final },
                AuthJsonContext.Default.ScramMessage, AuthJsonContext.Default.AuthOkMessage, cancellationToken).ConfigureAwait(false);
            scram.VerifyServerFinal(ok.Payload!.Message ?? "");
            return ok.Payload;
        }
        catch (ScramException ex)
        {
            throw new FerryException(ProtocolError.AuthFailed, $"logging in as '{user}' failed: {ex.Message}");
        }
    }

    private static byte[] Decode(string? text, int length, string what)
    {
        var buffer = new byte[length + 3];
        if (text is null || !Convert.TryFromBase64String(text, buffer, out int written) || written != length)
        {
            throw new FerryException(ProtocolError.AuthFailed, $"{what} is malformed");
        }
        return buffer[..length];
    }
}

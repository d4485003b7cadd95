using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Security;
using Ferry.Security.Scram;
using Ferry.Security.SharedKey;
using System.Security.Cryptography;

namespace Ferry.Server.Authentication;

/// <summary>
/// The server side of the handshake (docs/security.md §3): the shared-key challenge-response and SCRAM-SHA-256,
/// both bound to the TLS channel. Anything else before authentication closes the connection; a failed login is
/// answered only after the throttle's delay, logged with the address and user name.
/// </summary>
internal sealed class FerryAuthenticator(ServerSecurity security) : IServerAuthenticator
{
    public string[] Methods { get; } = [AuthMethods.Key, AuthMethods.Scram];

    public async ValueTask<Principal?> OnFrameAsync(ServerSession session, FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
    {
        var exchange = session.GetFeature(_ => new Exchange());
        var binding = session.IsTls ? security.CertificateHash : [];
        try
        {
            switch (header.Type)
            {
                case MessageTypes.AuthKeyStart when exchange.Step == Step.None:
                    exchange.Step = Step.KeyChallenged;
                    exchange.ServerNonce = RandomNumberGenerator.GetBytes(KeyProof.NonceBytes);
                    await session.Connection.SendAsync(MessageTypes.AuthKeyChallenge, header.Id,
                        new KeyChallengeMessage { Nonce = Convert.ToBase64String(exchange.ServerNonce) },
                        AuthJsonContext.Default.KeyChallengeMessage, cancellationToken).ConfigureAwait(false);
                    return null;

                case MessageTypes.AuthKeyProof when exchange.Step == Step.KeyChallenged:
                    return await CheckKeyProofAsync(session, header, exchange, binding, cancellationToken).ConfigureAwait(false);

                case MessageTypes.AuthScramStart when exchange.Step == Step.None:
                    exchange.Step = Step.ScramChallenged;
                    exchange.Scram = new ScramServer(name => security.Users.Find(name)?.Scram,
                        session.IsTls ? ScramChannelBinding.ForServerCertificateHash(binding) : ScramChannelBinding.None,
                        security.DecoySecret, security.Options.Authentication.ScramIterations);
                    var clientFirst = header.ReadPayload(AuthJsonContext.Default.ScramMessage).Message ?? "";
                    var serverFirst = exchange.Scram.HandleClientFirst(clientFirst);
                    await session.Connection.SendAsync(MessageTypes.AuthScramChallenge, header.Id, new ScramMessage { Message = serverFirst },
                        AuthJsonContext.Default.ScramMessage, cancellationToken).ConfigureAwait(false);
                    return null;

                case MessageTypes.AuthScramFinal when exchange.Step == Step.ScramChallenged:
                    return await CheckScramFinalAsync(session, header, exchange, cancellationToken).ConfigureAwait(false);

                default:
                    AuthLog.RequestBeforeAuth(session.Logger, session.RemoteAddress, header.Type);
                    await RefuseAsync(session, header.Id, ProtocolError.Unauthenticated, exchange.Step == Step.None
                        ? $"unauthenticated: '{header.Type}' is not allowed before authentication; start with auth.key.start or auth.scram.start (docs/security.md)"
                        : $"unauthenticated: '{header.Type}' is out of order in the handshake").ConfigureAwait(false);
                    return null;
            }
        }
        catch (ScramException ex)
        {
            await FailLoginAsync(session, header.Id, AuthMethods.Scram, exchange.Scram?.User ?? "?", ex.Message,
                ex.AuthenticationFailed ? ProtocolError.AuthFailed : ProtocolError.BadRequest,
                ex.AuthenticationFailed ? $"authentication failed: {PublicReason(ex, exchange)}" : $"bad SCRAM message: {ex.Message}").ConfigureAwait(false);
            return null;
        }
        catch (FerryException ex) when (ex is not ProtocolException)
        {
            await RefuseAsync(session, header.Id, ex.Error, ex.Message).ConfigureAwait(false);
            return null;
        }
    }

    private async ValueTask<Principal?> CheckKeyProofAsync(ServerSession session, FrameHeader header, Exchange exchange, byte[] binding, CancellationToken cancellationToken)
    {
        var message = header.ReadPayload(AuthJsonContext.Default.KeyProofMessage);
        var clientNonce = DecodeFixed(message.Nonce, KeyProof.NonceBytes, "nonce");
        var proof = DecodeFixed(message.Proof, 32, "proof");
        if (!security.KeyNonces.TryUse(clientNonce))
        {
            await FailLoginAsync(session, header.Id, AuthMethods.Key, "key", "replayed handshake (client nonce seen before)", ProtocolError.AuthFailed,
                "authentication failed: replayed handshake (this client nonce was already used; every handshake needs fresh nonces)").ConfigureAwait(false);
            return null;
        }
        var key = security.Key.Current;
        var expected = KeyProof.Client(key, exchange.ServerNonce, clientNonce, binding);
        if (!KeyProof.Matches(expected, proof))
        {
            await FailLoginAsync(session, header.Id, AuthMethods.Key, "key", "the proof does not match the key", ProtocolError.AuthFailed,
                "authentication failed: wrong key (the proof does not match this server's key; copy the key with 'ferry key show' on the server)").ConfigureAwait(false);
            return null;
        }
        var principal = new Principal("key", AuthMethods.Key, Rights.All);
        if (session.TryAdmit(principal) is { } refusal)
        {
            await RefuseAsync(session, header.Id, ProtocolError.Busy, refusal).ConfigureAwait(false);
            return null;
        }
        await session.Connection.SendAsync(MessageTypes.AuthOk, header.Id, new AuthOkMessage
        {
            User = principal.Name,
            Method = AuthMethods.Key,
            Rights = [.. Rights.All],
            Proof = Convert.ToBase64String(KeyProof.Server(key, exchange.ServerNonce, clientNonce, binding)),
        }, AuthJsonContext.Default.AuthOkMessage, cancellationToken).ConfigureAwait(false);
        AuthLog.LoginSucceeded(session.Logger, session.RemoteAddress, principal.Name, AuthMethods.Key);
        return principal;
    }

    private async ValueTask<Principal?> CheckScramFinalAsync(ServerSession session, FrameHeader header, Exchange exchange, CancellationToken cancellationToken)
    {
        var clientFinal = header.ReadPayload(AuthJsonContext.Default.ScramMessage).Message ?? "";
        var serverFinal = exchange.Scram!.HandleClientFinal(clientFinal);
        var user = exchange.Scram.User!;
        var account = security.Users.Find(user);
        if (account is null)
        {
            throw new ScramException("the account was removed during the handshake", authenticationFailed: true);
        }
        var principal = new Principal(user, AuthMethods.Scram, account.Rights);
        if (session.TryAdmit(principal) is { } refusal)
        {
            await RefuseAsync(session, header.Id, ProtocolError.Busy, refusal).ConfigureAwait(false);
            return null;
        }
        await session.Connection.SendAsync(MessageTypes.AuthOk, header.Id, new AuthOkMessage
        {
            User = user,
            Method = AuthMethods.Scram,
            Rights = account.Rights,
            Message = serverFinal,
        }, AuthJsonContext.Default.AuthOkMessage, cancellationToken).ConfigureAwait(false);
        AuthLog.LoginSucceeded(session.Logger, session.RemoteAddress, user, AuthMethods.Scram);
        return principal;
    }

    // Unknown user and wrong password read the same to the client; the log says which.
    private static string PublicReason(ScramException ex, Exchange exchange) =>
        exchange.Scram is { User: { } user } && ex.Message == "unknown user or wrong password"
            ? $"unknown user or wrong password for '{user}'"
            : ex.Message;

    private async ValueTask FailLoginAsync(ServerSession session, long id, string method, string user, string reason, ProtocolError error, string publicMessage)
    {
        var address = session.RemoteAddress;
        var delay = TimeSpan.Zero;
        if (error == ProtocolError.AuthFailed)
        {
            delay = security.Throttle.RecordFailure(address);
            if (method == AuthMethods.Scram && reason == "unknown user or wrong password")
            {
                reason = session.GetFeature(_ => new Exchange()).Scram is { UserKnown: true } ? "wrong password" : "unknown user";
            }
        }
        AuthLog.LoginFailed(session.Logger, method, address, user, reason, security.Throttle.Failures(address), (long)delay.TotalMilliseconds);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, security.Options.Time, session.Connection.Closed).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await RefuseAsync(session, id, error, publicMessage).ConfigureAwait(false);
    }

    private static async ValueTask RefuseAsync(ServerSession session, long id, ProtocolError error, string message)
    {
        if (id != 0)
        {
            try
            {
                await session.Connection.SendErrorAsync(id, error, message).ConfigureAwait(false);
            }
            catch (ConnectionClosedException)
            {
                return;
            }
        }
        var reason = error switch
        {
            ProtocolError.AuthFailed => CloseReason.AuthFailed,
            ProtocolError.Busy => CloseReason.Rejected, // a full connection cap
            _ => CloseReason.ProtocolError,
        };
        await session.Connection.FailAsync(reason, error, message).ConfigureAwait(false);
    }

    private static byte[] DecodeFixed(string? text, int length, string field)
    {
        var buffer = new byte[length + 3];
        if (text is null || !Convert.TryFromBase64String(text, buffer, out int written) || written != length)
        {
            throw new FerryException(ProtocolError.BadRequest, $"bad auth.key.proof: '{field}' must be {length} bytes in base64");
        }
        return buffer[..length];
    }

    private enum Step
    {
        None,
        KeyChallenged,
        ScramChallenged,
    }

    private sealed class Exchange
    {
        public Step Step { get; set; }

        public byte[] ServerNonce { get; set; } = [];

        public ScramServer? Scram { get; set; }
    }
}

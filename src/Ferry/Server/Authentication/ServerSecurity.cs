using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Security;
using Ferry.Security.Accounts;
using Ferry.Security.SharedKey;
using Ferry.Security.Tls;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Ferry.Server.Authentication;

/// <summary>
/// A server's security set-up, made from its state folder at build time: the TLS identity (created on first
/// start), the shared key (likewise), the users file, the pre-authentication caps and the login throttle.
/// </summary>
internal sealed class ServerSecurity
{
    private ServerSecurity(FerryServerOptions options, X509Certificate2? certificate)
    {
        Options = options;
        Certificate = certificate;
        CertificateHash = certificate is null ? [] : CertificateFingerprint.Hash(certificate);
        var auth = options.Authentication;
        Gate = new PreAuthGate(auth.MaxUnauthenticatedPerAddress, auth.MaxUnauthenticated);
        Throttle = new LoginThrottle(auth.FailureDelay, auth.MaxFailureDelay, auth.ForgetFailuresAfter, options.Time);
        Key = new ReloadingKey(Path.Combine(options.DataDirectory, StateFolder.KeyFileName));
        Users = new UserStore(Path.Combine(options.DataDirectory, StateFolder.UsersFileName));
    }

    public FerryServerOptions Options { get; }

    /// <summary>The TLS certificate, or null when serving plaintext.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>SHA-256 of the certificate: the channel binding every proof over TLS includes.</summary>
    public byte[] CertificateHash { get; }

    public PreAuthGate Gate { get; }

    public LoginThrottle Throttle { get; }

    public ReloadingKey Key { get; }

    public UserStore Users { get; }

    /// <summary>Client nonces of recent key proofs, to name replays.</summary>
    public NonceLedger KeyNonces { get; } = new(100_000);

    /// <summary>A per-server secret for the decoy salts of unknown SCRAM users.</summary>
    public byte[] DecoySecret { get; } = RandomNumberGenerator.GetBytes(32);

    /// <summary>Checks the options and loads (or creates) the key and certificate.</summary>
    public static ServerSecurity Create(FerryServerOptions options)
    {
        if (options.Plaintext && !options.Insecure)
        {
            var exposed = options.Endpoints.OfType<IPEndPoint>().FirstOrDefault(e => !IPAddress.IsLoopback(e.Address));
            if (exposed is not null)
            {
                throw new InvalidOperationException(
                    $"refusing to serve plaintext on {exposed}, which is not a loopback address: anyone on the network could read and change the traffic. Drop --plaintext, or add --insecure if you really mean it");
            }
        }
        SecureFile.EnsureDirectory(options.DataDirectory);
        SharedKeyFile.LoadOrCreate(Path.Combine(options.DataDirectory, StateFolder.KeyFileName));
        var certificate = options.Plaintext ? null : ServerIdentity.LoadOrCreate(options.DataDirectory);
        return new ServerSecurity(options, certificate);
    }

    /// <summary>Puts the pre-auth cap and (unless plaintext) TLS 1.3 in front of a main endpoint.</summary>
    public void ConfigureListener(ListenOptions listen, ILogger logger)
    {
        listen.Use(next => async connection =>
        {
            var address = AddressKey(connection.RemoteEndPoint);
            var slot = Gate.TryEnter(address);
            if (slot is null)
            {
                AuthLog.ConnectionRefused(logger, address, $"too many unauthenticated connections (caps: {Gate.MaxPerAddress} per address, {Gate.MaxTotal} in all)");
                return;
            }
            using (slot)
            {
                connection.Features.Set(new PreAuthSlotFeature(slot));
                await next(connection).ConfigureAwait(false);
            }
        });
        if (Certificate is not null)
        {
            var tls = new ServerTls(Certificate, Options.HandshakeTimeout, Options.Time, logger);
            listen.Use(next => connection => tls.OnConnectionAsync(connection, next));
        }
    }

    /// <summary>The part of a remote endpoint that limits and logs key on: the IP address, or "local" for Unix sockets.</summary>
    public static string AddressKey(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip => (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address).ToString(),
        UnixDomainSocketEndPoint => "local",
        null => "local",
        _ => endPoint.ToString() ?? "unknown",
    };
}

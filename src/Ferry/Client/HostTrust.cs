using System.Net;
using System.Security.Cryptography.X509Certificates;
using Ferry.Security;
using Ferry.Security.Tls;

namespace Ferry.Client;

/// <summary>
/// Decides whether to trust a server's certificate, ssh-style (docs/security.md §2): a pinned fingerprint if given;
/// on loopback, the certificate of a server run from this client's own state folder; otherwise known_hosts —
/// a remembered fingerprint must match exactly, and a new host is remembered only with consent.
/// </summary>
internal static class HostTrust
{
    public static void Verify(FerryClientOptions options, X509Certificate2 certificate)
    {
        var target = options.Target;
        var presented = CertificateFingerprint.Of(certificate);
        if (options.ServerFingerprint is { } pinned)
        {
            if (CertificateFingerprint.AreEqual(pinned, presented)) return;
            throw new FerryConnectException(target,
                $"WARNING: {target} presented certificate {presented}, not the expected {pinned}. Someone may be intercepting the connection; refusing to connect");
        }
        if (IsLocal(target) && OwnCertificates(options).Any(own => CertificateFingerprint.AreEqual(own, presented))) return;

        var knownHosts = new KnownHosts(Path.Combine(options.StateDirectory, StateFolder.KnownHostsFileName));
        var remembered = knownHosts.Find(target.HostKey);
        if (remembered is not null)
        {
            if (CertificateFingerprint.AreEqual(remembered, presented)) return;
            throw new FerryConnectException(target,
                $"WARNING: THE CERTIFICATE OF {target} HAS CHANGED! Remembered {remembered}, now presented {presented}. " +
                $"Someone may be intercepting the connection (or the server's state folder was replaced); refusing to connect. " +
                $"If the change is expected, delete the line for {target.HostKey} from {knownHosts.Path}");
        }
        bool accepted = options.AcceptNewHost || (options.ConfirmNewHost?.Invoke(target.HostKey, presented) ?? false);
        if (!accepted)
        {
            throw new FerryConnectException(target, options.ConfirmNewHost is null
                ? $"{target} is not a known host (certificate {presented}). Check that this is the fingerprint 'ferry serve' printed, then connect once with --accept-new to remember it"
                : $"{target} was not trusted (certificate {presented})");
        }
        knownHosts.Add(target.HostKey, presented);
    }

    private static bool IsLocal(FerryTarget target) =>
        target.IsUnix
        || target.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(target.Host, out var address) && IPAddress.IsLoopback(address));

    // The server run from this client's own state folder (or the folder its key file is in) is this machine's own server.
    private static IEnumerable<string> OwnCertificates(FerryClientOptions options)
    {
        var folders = new List<string> { options.StateDirectory };
        if (options.ResolveKeyFile() is { } keyFile && Path.GetDirectoryName(Path.GetFullPath(keyFile)) is { } keyFolder) folders.Add(keyFolder);
        foreach (var folder in folders.Distinct(StringComparer.Ordinal))
        {
            using var own = ServerIdentity.TryLoadPublic(folder);
            if (own is not null) yield return CertificateFingerprint.Of(own);
        }
    }
}

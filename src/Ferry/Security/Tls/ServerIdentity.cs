using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Security.Tls;

/// <summary>
/// The server's TLS identity: a self-signed ECDSA P-256 certificate kept in the state folder, created on first
/// start. Clients trust it by fingerprint (known_hosts), not through a certificate authority.
/// </summary>
public static class ServerIdentity
{
    /// <summary>How long a new certificate is valid; the fingerprint, not the dates, is what clients pin.</summary>
    private static readonly TimeSpan s_validity = TimeSpan.FromDays(3650);

    /// <summary>Loads the certificate with its private key from <paramref name="folder"/>, creating both on first use.</summary>
    public static X509Certificate2 LoadOrCreate(string folder)
    {
        var certPath = Path.Combine(folder, StateFolder.CertificateFileName);
        var keyPath = Path.Combine(folder, StateFolder.CertificateKeyFileName);
        if (!File.Exists(certPath) || !File.Exists(keyPath)) Create(certPath, keyPath);
        return X509Certificate2.CreateFromPemFile(certPath, keyPath);
    }

    /// <summary>The public certificate in <paramref name="folder"/>, or null when there is none.</summary>
    public static X509Certificate2? TryLoadPublic(string folder)
    {
        var certPath = Path.Combine(folder, StateFolder.CertificateFileName);
        try
        {
            return File.Exists(certPath) ? X509CertificateLoader.LoadCertificateFromFile(certPath) : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static void Create(string certPath, string keyPath)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=ferry {Environment.MachineName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // serverAuth
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(Environment.MachineName);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(s_validity));
        // Key first: a certificate file without its key would be taken as complete by the next start.
        SecureFile.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem(), ownerOnly: true);
        SecureFile.WriteAllText(certPath, certificate.ExportCertificatePem() + "\n", ownerOnly: false);
    }
}

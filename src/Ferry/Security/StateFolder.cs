namespace Ferry.Security;

/// <summary>
/// The state folder (<c>$FERRY_HOME</c>, else <c>~/.ferry</c>) and the names of the security files in it.
/// Server and client share one folder, so a server's own key and certificate are found by clients on the same machine.
/// </summary>
public static class StateFolder
{
    /// <summary>The 256-bit shared key (owner-only).</summary>
    public const string KeyFileName = "key";

    /// <summary>The server's self-signed certificate (public).</summary>
    public const string CertificateFileName = "server.crt";

    /// <summary>The certificate's private key (owner-only).</summary>
    public const string CertificateKeyFileName = "server.key";

    /// <summary>User accounts with SCRAM verifiers and rights (owner-only).</summary>
    public const string UsersFileName = "users.json";

    /// <summary>Certificates of servers this client has accepted.</summary>
    public const string KnownHostsFileName = "known_hosts";

    /// <summary><c>$FERRY_HOME</c>, else <c>~/.ferry</c>.</summary>
    public static string Default()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("FERRY_HOME");
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ferry");
    }
}

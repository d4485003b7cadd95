namespace Ferry.Security;

/// <summary>The authentication methods a server advertises in hello (docs/security.md §3).</summary>
public static class AuthMethods
{
    /// <summary>Mutual HMAC-SHA256 challenge-response over the shared key.</summary>
    public const string Key = "key";

    /// <summary>SCRAM-SHA-256 (RFC 5802 / RFC 7677) against a user account.</summary>
    public const string Scram = "scram-sha-256";
}

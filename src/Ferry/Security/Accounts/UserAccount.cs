using Ferry.Security.Scram;

namespace Ferry.Security.Accounts;

/// <summary>One user: a name, the rights it holds, and its SCRAM verifier.</summary>
public sealed class UserAccount
{
    /// <summary>The login name.</summary>
    public required string Name { get; init; }

    /// <summary>The rights the user has (<see cref="Security.Rights"/>).</summary>
    public required string[] Rights { get; set; }

    /// <summary>The SCRAM-SHA-256 verifier: salt, iterations, stored and server keys; never the password.</summary>
    public required ScramCredential Scram { get; set; }
}

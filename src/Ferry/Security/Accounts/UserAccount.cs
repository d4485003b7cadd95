using Ferry.Security.Scram;

namespace Ferry.Security.Accounts;

/// <summary>One user: a name, the rights it holds, and its SCRAM verifier.</summary>
public sealed class UserAccount
{
    public required string Name { get; init; }

    public required string[] Rights { get; set; }

    public required ScramCredential Scram { get; set; }
}

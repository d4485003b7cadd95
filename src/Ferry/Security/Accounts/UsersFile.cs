using System.Text.Json.Serialization;

namespace Ferry.Security.Accounts;

/// <summary>The JSON shape of users.json.</summary>
internal sealed class UsersFile
{
    public int Version { get; set; } = 1;

    public List<UserRecord> Users { get; set; } = [];
}

internal sealed class UserRecord
{
    public string Name { get; set; } = "";

    public string[] Rights { get; set; } = [];

    public byte[] Salt { get; set; } = [];

    public int Iterations { get; set; }

    public byte[] StoredKey { get; set; } = [];

    public byte[] ServerKey { get; set; } = [];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(UsersFile))]
internal sealed partial class AccountsJsonContext : JsonSerializerContext
{
}

using System.Text.Json.Serialization;

namespace Ferry.Cli.Commands.Subnet;

/// <summary>The <c>ferry subnet --json</c> document. Counts are decimal strings: IPv6 counts exceed 2^53.</summary>
internal sealed class SubnetReport
{
    public required string Family { get; init; }
    public required string Address { get; init; }
    public required int Prefix { get; init; }
    public required bool PrefixAssumed { get; init; }
    public required string Mask { get; init; }
    public required string Wildcard { get; init; }
    public required string Network { get; init; }
    public required string Cidr { get; init; }
    public string? Broadcast { get; init; }
    public required string FirstHost { get; init; }
    public required string LastHost { get; init; }
    public required string Addresses { get; init; }
    public required string UsableHosts { get; init; }
    public string? Class { get; init; }
    public required SubnetFlags Flags { get; init; }
    public required List<string> Notes { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SubnetBitsReport? Bits { get; init; }

    public required List<SubnetComparisonReport> Others { get; init; }
}

internal sealed class SubnetFlags
{
    public bool Private { get; init; }
    public bool Loopback { get; init; }
    public bool LinkLocal { get; init; }
    public bool Multicast { get; init; }
    public bool Documentation { get; init; }
    public bool Shared { get; init; }
    public bool Unspecified { get; init; }
}

internal sealed class SubnetBitsReport
{
    public required string Address { get; init; }
    public required string Mask { get; init; }
    public required string Network { get; init; }
}

internal sealed class SubnetComparisonReport
{
    public required string Address { get; init; }
    public required string Network { get; init; }
    public required bool SameSubnet { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Bits { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(SubnetReport))]
internal sealed partial class SubnetJsonContext : JsonSerializerContext;

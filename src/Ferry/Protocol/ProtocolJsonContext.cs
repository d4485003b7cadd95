using System.Text.Json.Serialization;

namespace Ferry.Protocol;

/// <summary>Source-generated JSON for the protocol's own messages (no reflection at run time).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HelloRequest))]
[JsonSerializable(typeof(HelloResponse))]
[JsonSerializable(typeof(ErrorMessage))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext
{
}

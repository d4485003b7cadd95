using System.Text.Json.Serialization;

namespace Ferry.Contracts.Echo;

/// <summary>Fields of an <c>echo</c> request; the body is the message (docs/protocol.md §6.1).</summary>
public record struct EchoRequest(bool Upper);

/// <summary>Source-generated (AOT-safe) JSON metadata for the echo contracts: pass its type infos to the typed request helpers or to <c>JsonSerializer</c>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(EchoRequest))]
public sealed partial class EchoJsonContext : JsonSerializerContext
{
}

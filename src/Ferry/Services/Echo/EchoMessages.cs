using System.Text.Json.Serialization;

namespace Ferry.Services.Echo;

/// <summary>Fields of an <c>echo</c> request; the body is the message (docs/protocol.md §6.1).</summary>
public record struct EchoRequest(bool Upper);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(EchoRequest))]
internal sealed partial class EchoJsonContext : JsonSerializerContext
{
}

using System.IO.Pipelines;
using System.Text.Json.Serialization;

namespace Ferry.Tests.Infrastructure;

public sealed class NotePayload
{
    public string? Note { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(NotePayload))]
public sealed partial class TestJsonContext : JsonSerializerContext
{
}

public sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ferry.Cli.Infrastructure;

/// <summary>
/// The one timestamp format of every <c>--json</c> output (docs/cli-json.md): ISO 8601 in UTC with a <c>Z</c>,
/// to the millisecond — <c>2026-12-02T14:50:07.123Z</c> — whatever offset the value carried.
/// </summary>
internal sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    public const string Format = "yyyy-MM-ddTHH:mm:ss.fffZ";

    public static string Text(DateTimeOffset value) => value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(Text(value));
}

/// <summary>
/// The encoder of the CLI's own --json output: it goes to terminals and pipes, never into HTML, so <c>&gt;</c>,
/// <c>&amp;</c>, <c>+</c> and non-ASCII text stay readable instead of becoming <c>\u003E</c> escapes.
/// </summary>
internal static class CliJson
{
    /// <summary><paramref name="context"/>'s options with the relaxed encoder (build once per context).</summary>
    public static System.Text.Json.JsonSerializerOptions Relaxed(System.Text.Json.Serialization.JsonSerializerContext context) =>
        new(context.Options) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

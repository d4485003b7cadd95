using System.Text;
using System.Text.Json.Serialization;
using Ferry.Client;

namespace Ferry.Cli.Commands.Exec;

/// <summary>
/// <c>ferry exec --json</c> (docs/cli-json.md): how the command ended and what it wrote. Output is text when it is
/// valid UTF-8; otherwise the text field is null and the exact bytes are in the base64 field.
/// </summary>
internal sealed record ExecReport(
    string Command, int ExitCode, string? Signal, bool TimedOut, double DurationSeconds,
    string? Stdout, string? StdoutBase64, long StdoutBytes, string? Stderr, string? StderrBase64, long StderrBytes)
{
    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static ExecReport Of(string command, ExecResult exit, TimeSpan duration, MemoryStream stdout, MemoryStream stderr)
    {
        var (outText, outBase64) = Encode(stdout);
        var (errText, errBase64) = Encode(stderr);
        return new ExecReport(command, exit.ExitCode, exit.Signal, exit.TimedOut, Math.Round(duration.TotalSeconds, 6),
            outText, outBase64, stdout.Length, errText, errBase64, stderr.Length);
    }

    private static (string? Text, string? Base64) Encode(MemoryStream captured)
    {
        var bytes = captured.GetBuffer().AsSpan(0, (int)captured.Length);
        try
        {
            return (s_strict.GetString(bytes), null);
        }
        catch (DecoderFallbackException)
        {
            return (null, Convert.ToBase64String(bytes));
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ExecReport))]
internal sealed partial class ExecJsonContext : JsonSerializerContext
{
    private static ExecJsonContext? s_relaxed;

    // Lazily: the generated Default is set up in another part of this partial class, in no fixed order.
    public static ExecJsonContext Relaxed => s_relaxed ??= new(Ferry.Cli.Infrastructure.CliJson.Relaxed(Default));
}

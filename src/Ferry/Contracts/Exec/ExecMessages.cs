using System.Text.Json.Serialization;

namespace Ferry.Contracts.Exec;

/// <summary>Fields of <c>exec.start</c> (docs/protocol.md §5.3).</summary>
public sealed class ExecStartRequest
{
    /// <summary>One shell command line, run with <c>/bin/sh -c</c> (<c>cmd.exe /c</c> on Windows).</summary>
    public string? Command { get; set; }

    /// <summary>The folder to run in: absolute, or relative to the server's exec folder; null for the exec folder.</summary>
    public string? Cwd { get; set; }

    /// <summary>Environment variables added to (or replacing in) the server's environment.</summary>
    public Dictionary<string, string>? Env { get; set; }

    /// <summary>Seconds after which the command and everything it started are killed; null or 0 for none.</summary>
    public double? Timeout { get; set; }

    /// <summary>Whether the client will send <c>exec.stdin</c>; false closes the command's input at once.</summary>
    public bool? Stdin { get; set; }
}

/// <summary>Fields of <c>exec.stdin</c>: the body is input bytes; <see cref="Eof"/> closes the command's input.</summary>
public sealed class ExecStdinMessage
{
    public bool Eof { get; set; }
}

/// <summary>Fields of <c>exec.exit</c>, the last frame of an exec exchange.</summary>
public sealed class ExecExitMessage
{
    /// <summary>The exit code; 128+N when a signal N ended the command, as shells report it. Always written, 0 included.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public int ExitCode { get; set; }

    /// <summary>The signal's name (<c>SIGKILL</c>, ...) when the code says a signal ended the command.</summary>
    public string? Signal { get; set; }

    /// <summary>Whether the server killed the command because it ran past its timeout. Always written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public bool TimedOut { get; set; }
}

/// <summary>Source-generated (AOT-safe) JSON metadata for the exec contracts: pass its type infos to the typed request helpers or to <c>JsonSerializer</c>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(ExecStartRequest))]
[JsonSerializable(typeof(ExecStdinMessage))]
[JsonSerializable(typeof(ExecExitMessage))]
public sealed partial class ExecJsonContext : JsonSerializerContext
{
}

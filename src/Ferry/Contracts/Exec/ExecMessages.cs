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

    /// <summary>
    /// Run the command on a pseudo-terminal of this size (as <c>ssh -t</c>); null for pipes. With a terminal,
    /// <see cref="Command"/> may be null: the server user's login shell is started.
    /// </summary>
    public ExecTerminal? Terminal { get; set; }
}

/// <summary>The terminal an <c>exec.start</c> asks for: its size and <c>TERM</c>.</summary>
public sealed class ExecTerminal
{
    /// <summary>Width in columns, 1 to 10000.</summary>
    public int Cols { get; set; }

    /// <summary>Height in rows, 1 to 10000.</summary>
    public int Rows { get; set; }

    /// <summary>The <c>TERM</c> the command sees (the client's own); null for <c>xterm</c>.</summary>
    public string? Term { get; set; }
}

/// <summary>Fields of <c>exec.resize</c>: the client's terminal changed size (the command gets SIGWINCH).</summary>
public sealed class ExecResizeMessage
{
    /// <summary>Width in columns, 1 to 10000.</summary>
    public int Cols { get; set; }

    /// <summary>Height in rows, 1 to 10000.</summary>
    public int Rows { get; set; }
}

/// <summary>Fields of <c>exec.stdin</c>: the body is input bytes; <see cref="Eof"/> closes the command's input.</summary>
public sealed class ExecStdinMessage
{
    /// <summary>The input ends here: the command's stdin is closed after this frame's bytes.</summary>
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
[JsonSerializable(typeof(ExecResizeMessage))]
[JsonSerializable(typeof(ExecExitMessage))]
public sealed partial class ExecJsonContext : JsonSerializerContext
{
}

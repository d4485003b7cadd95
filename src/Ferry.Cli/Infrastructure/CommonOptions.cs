using System.CommandLine;

namespace Ferry.Cli.Infrastructure;

/// <summary>Options shared by many commands. Each command gets its own instances (System.CommandLine symbols have one parent).</summary>
internal static class CommonOptions
{
    public static Argument<string> Target() => new("TARGET")
    {
        Description = "The server: host[:port] (default port 7070), [v6addr]:port, unix:PATH for a Unix socket, or a Host alias from ~/.ferry/config",
    };

    public static Option<bool> Plaintext() => new("--plaintext")
    {
        Description = "Connect without TLS (the server must run with --plaintext too)",
    };

    public static Option<bool> Json() => new("--json")
    {
        Description = "Print machine-readable JSON instead of text",
    };

    /// <summary>Global: full exception details on errors.</summary>
    public static Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Show details (stack traces on errors, debug logs for serve)",
        Recursive = true,
    };
}

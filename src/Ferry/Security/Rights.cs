namespace Ferry.Security;

/// <summary>The rights a principal can hold (docs/security.md). Request types name the right they need.</summary>
public static class Rights
{
    /// <summary>Run commands and shells (<c>exec.*</c>).</summary>
    public const string Exec = "exec";
    /// <summary>Download, list and stat files.</summary>
    public const string FilesRead = "files:read";
    /// <summary>Upload, remove and create folders.</summary>
    public const string FilesWrite = "files:write";
    /// <summary>Join rooms and talk.</summary>
    public const string Chat = "chat";
    /// <summary>Open tunnels (<c>forward.*</c>: <c>-L</c>, <c>-R</c>, <c>-D</c>).</summary>
    public const string Forward = "forward";

    /// <summary>Every right, as the shared key carries.</summary>
    public static IReadOnlyList<string> All { get; } = [Exec, FilesRead, FilesWrite, Chat, Forward];

    /// <summary>Whether <paramref name="right"/> is one of <see cref="All"/>.</summary>
    public static bool IsKnown(string right) => All.Contains(right, StringComparer.Ordinal);
}

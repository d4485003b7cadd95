namespace Ferry.Security;

/// <summary>The rights a principal can hold (docs/security.md). Request types name the right they need.</summary>
public static class Rights
{
    public const string Exec = "exec";
    public const string FilesRead = "files:read";
    public const string FilesWrite = "files:write";
    public const string Chat = "chat";

    /// <summary>Every right, as the shared key carries.</summary>
    public static IReadOnlyList<string> All { get; } = [Exec, FilesRead, FilesWrite, Chat];

    /// <summary>Whether <paramref name="right"/> is one of <see cref="All"/>.</summary>
    public static bool IsKnown(string right) => All.Contains(right, StringComparer.Ordinal);
}

namespace Ferry.Contracts.Files;

/// <summary>The <c>kind</c> values of a <see cref="FileEntry"/>.</summary>
public static class FileKinds
{
    /// <summary>A regular file.</summary>
    public const string File = "file";
    /// <summary>A folder.</summary>
    public const string Directory = "dir";
    /// <summary>A symbolic link (listed, never followed).</summary>
    public const string Link = "link";
}

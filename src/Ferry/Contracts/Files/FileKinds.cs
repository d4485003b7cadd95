namespace Ferry.Contracts.Files;

/// <summary>The <c>kind</c> values of a <see cref="FileEntry"/>.</summary>
public static class FileKinds
{
    public const string File = "file";
    public const string Directory = "dir";
    public const string Link = "link";
}

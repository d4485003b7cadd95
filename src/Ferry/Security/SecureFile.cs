using System.Text;

namespace Ferry.Security;

/// <summary>
/// Writes security files so that they are never half-written under their final name (temp file + rename)
/// and, for secrets, never readable by anyone but the owner, not even for a moment.
/// </summary>
internal static class SecureFile
{
    public static void WriteAllText(string path, string text, bool ownerOnly) => WriteAllBytes(path, Encoding.UTF8.GetBytes(text), ownerOnly);

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes, bool ownerOnly)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        EnsureDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = ownerOnly
                    ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                    : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            }
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Creates the folder if missing, readable only by its owner on Unix.</summary>
    public static void EnsureDirectory(string path)
    {
        if (Directory.Exists(path)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}

namespace Ferry.Tests.Infrastructure;

/// <summary>Unique scratch folders under the system temp folder.</summary>
public static class TempDirectory
{
    public static string Create(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still open by a dying process.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

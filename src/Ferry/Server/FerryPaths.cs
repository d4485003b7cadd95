namespace Ferry.Server;

/// <summary>Where Ferry keeps its state: <c>$FERRY_HOME</c>, else <c>~/.ferry</c>.</summary>
public static class FerryPaths
{
    /// <summary>The default state folder: <c>$FERRY_HOME</c>, or <c>~/.ferry</c>.</summary>
    public static string DefaultHome() => Security.StateFolder.Default();

    /// <summary>Creates the folder if missing, readable only by its owner on Unix.</summary>
    public static string EnsureDirectory(string path)
    {
        if (!Directory.Exists(path))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
            else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }
}

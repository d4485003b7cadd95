namespace Ferry.Cli.Commands.Files;

/// <summary>Remote paths are '/'-separated and relative to the server's root.</summary>
internal static class RemotePaths
{
    public static string Join(string? folder, string name)
    {
        var left = (folder ?? "").Trim().TrimEnd('/');
        var right = name.TrimStart('/');
        if (left.Length == 0 || left == ".") return right;
        return right.Length == 0 ? left : left + "/" + right;
    }

    /// <summary>The last name of a remote path ("" for the root).</summary>
    public static string BaseName(string remotePath)
    {
        var trimmed = remotePath.TrimEnd('/');
        if (trimmed is "" or ".") return "";
        int slash = trimmed.LastIndexOf('/');
        return slash < 0 ? trimmed : trimmed[(slash + 1)..];
    }

    /// <summary>
    /// The <paramref name="folders"/> that no file of <paramref name="files"/> lies under: the ones an upload (which
    /// creates its parents) would not create, in their given order.
    /// </summary>
    public static List<string> FoldersWithoutFiles(IEnumerable<string> folders, IEnumerable<string> files)
    {
        var covered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            for (int slash = file.LastIndexOf('/'); slash > 0 && covered.Add(file[..slash]); slash = file.LastIndexOf('/', slash - 1))
            {
            }
        }
        return [.. folders.Where(f => !covered.Contains(f.TrimEnd('/')))];
    }
}

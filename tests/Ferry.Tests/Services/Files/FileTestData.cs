using System.Security.Cryptography;

namespace Ferry.Tests.Services.Files;

/// <summary>Files of known content for transfer tests, and hashes to compare them by.</summary>
internal static class FileTestData
{
    public static string Create(string folder, string name, long size, int seed)
    {
        var path = Path.Combine(folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(seed);
        var block = new byte[1024 * 1024];
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 0);
        long left = size;
        while (left > 0)
        {
            random.NextBytes(block);
            int n = (int)Math.Min(left, block.Length);
            file.Write(block, 0, n);
            left -= n;
        }
        return path;
    }

    public static string Sha256(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    /// <summary>Every file under <paramref name="folder"/>: relative path → SHA-256.</summary>
    public static SortedDictionary<string, string> TreeHashes(string folder)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            result[Path.GetRelativePath(folder, file).Replace('\\', '/')] = Sha256(file);
        }
        return result;
    }

    /// <summary>Every path under <paramref name="folder"/> (files, folders, links), for before/after comparisons.</summary>
    /// Links are listed, never followed (a link to '..' or '/etc' would otherwise walk far outside).
    public static SortedSet<string> Snapshot(string folder)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push(folder);
        while (pending.Count > 0)
        {
            foreach (var entry in new DirectoryInfo(pending.Pop()).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
            {
                string size = entry is FileInfo { LinkTarget: null } file ? $" {file.Length}" : "";
                result.Add(Path.GetRelativePath(folder, entry.FullName) + size);
                if (entry is DirectoryInfo && entry.LinkTarget is null) pending.Push(entry.FullName);
            }
        }
        return result;
    }
}

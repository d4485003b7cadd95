using System.Security.Cryptography;
using System.Text;

namespace Ferry.Transfers;

/// <summary>Names of the temporary files a transfer writes beside its target.</summary>
public static class PartNames
{
    /// <summary>The suffix every partial file carries; no upload may target a name ending in it.</summary>
    public const string Suffix = ".part";

    /// <summary>The longest single name the file systems we serve accept, in UTF-8 bytes (NAME_MAX on Linux and macOS).</summary>
    public const int MaxNameBytes = 255;

    /// <summary>
    /// The server's <c>.part</c> for an upload of <paramref name="fileName"/> with <paramref name="key"/>:
    /// <c>NAME.KEY.part</c>, or a hashed form when that would pass the name-length limit.
    /// </summary>
    public static string ForUpload(string fileName, string key)
    {
        var name = $"{fileName}.{key}{Suffix}";
        if (Encoding.UTF8.GetByteCount(name) <= MaxNameBytes) return name;
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fileName)))[..16];
        return $".ferry-{digest}.{key}{Suffix}";
    }

    /// <summary>The client's <c>.part</c> for a download into <paramref name="localPath"/>.</summary>
    public static string ForDownload(string localPath) => localPath + Suffix;

    /// <summary>
    /// A stable key for uploading one local file, so that re-running the same upload finds its <c>.part</c>, while
    /// different sources for the same remote name get different ones.
    /// </summary>
    public static string KeyFor(string localFullPath, long size, DateTime lastWriteUtc)
    {
        var identity = Encoding.UTF8.GetBytes($"{localFullPath}\n{size}\n{lastWriteUtc.Ticks}");
        return Convert.ToHexStringLower(SHA256.HashData(identity))[..16];
    }

    /// <summary>Whether <paramref name="fileName"/> is an upload's partial file as <see cref="ForUpload"/> names them.</summary>
    public static bool IsUploadPart(string fileName)
    {
        if (!fileName.EndsWith(Suffix, StringComparison.Ordinal)) return false;
        var stem = fileName[..^Suffix.Length];
        int dot = stem.LastIndexOf('.');
        return dot > 0 && IsValidKey(stem[(dot + 1)..]);
    }

    /// <summary>Whether <paramref name="key"/> is 8-32 lower-case hex digits.</summary>
    public static bool IsValidKey(string key) =>
        key.Length is >= 8 and <= 32 && key.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}

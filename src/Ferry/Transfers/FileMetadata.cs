namespace Ferry.Transfers;

/// <summary>Modification times and permission bits, as they travel on the wire.</summary>
public static class FileMetadata
{
    /// <summary>The permission bits a transfer keeps: rwx for owner, group and others (never setuid, setgid or sticky).</summary>
    public const int PermissionMask = 0x1FF; // 0777

    /// <summary>The latest modification time that can travel (the last millisecond of year 9999), in Unix milliseconds.</summary>
    public static readonly long MaxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>The earliest (the first millisecond of year 1), in Unix milliseconds.</summary>
    public static readonly long MinUnixMilliseconds = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();

    /// <summary>A UTC time as Unix milliseconds, as the protocol carries <c>mtime</c>.</summary>
    public static long ToUnixMilliseconds(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    /// <summary>Unix milliseconds as a UTC time.</summary>
    public static DateTime FromUnixMilliseconds(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;

    /// <summary>The permission bits of <paramref name="path"/>, or null on Windows.</summary>
    public static int? ModeOf(string path) =>
        OperatingSystem.IsWindows() ? null : (int)File.GetUnixFileMode(path) & PermissionMask;

    /// <summary>Applies a received mtime and mode to a finished file (before it takes its final name).</summary>
    public static void Apply(string path, long mtime, int? mode)
    {
        if (mode is { } bits && !OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)(bits & PermissionMask));
        if (mtime > 0) File.SetLastWriteTimeUtc(path, FromUnixMilliseconds(mtime));
    }
}

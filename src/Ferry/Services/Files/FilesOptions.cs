using Ferry.Contracts.Files;
namespace Ferry.Services.Files;

/// <summary>Settings of the file service (<c>ferry serve --root</c>).</summary>
public sealed class FilesOptions
{
    /// <summary>The folder served; null means <c>files/</c> in the server's state folder.</summary>
    public string? Root { get; set; }

    /// <summary>Uploads one connection may have open at once.</summary>
    public int MaxUploadsPerConnection { get; set; } = 16;

    /// <summary>
    /// Downloads one connection may have streaming at once; a <c>file.get</c> beyond it is refused with <c>busy</c>
    /// (each holds an open file until its last byte is sent, so an unread flood must not pile them up).
    /// </summary>
    public int MaxDownloadsPerConnection { get; set; } = 16;

    /// <summary>Downloads the whole server streams at once (each holds one open file); beyond it <c>file.get</c> is <c>busy</c>.</summary>
    public int MaxDownloads { get; set; } = 1024;

    /// <summary>
    /// How long an upload's <c>.part</c> is kept for <c>--resume</c> after its last write; older ones are deleted by
    /// <see cref="StalePartSweeper"/>. Null keeps them forever.
    /// </summary>
    public TimeSpan? PartLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The most entries one listing returns.</summary>
    public int MaxListEntries { get; set; } = 100_000;
}

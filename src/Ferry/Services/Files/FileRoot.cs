using Ferry.Protocol;
using Microsoft.Win32.SafeHandles;
using Ferry.Contracts.Files;

namespace Ferry.Services.Files;

/// <summary>
/// Every file-system operation the file service performs, each one resolving its remote path and acting on it in one
/// step, so nothing can be swapped in between. On Linux (<see cref="LinuxFileRoot"/>) resolution walks directory
/// descriptors one name at a time with O_NOFOLLOW and interprets links itself, so a component swapped for a link
/// mid-walk is refused or read as a link, never followed out of the root. Elsewhere <see cref="PathFileRoot"/> checks
/// the path and then acts on it by name: correct against links that are already there, not against one swapped in
/// between (docs/security.md). Only regular files are opened; folders are listed; anything else is refused.
/// </summary>
internal abstract class FileRoot : IDisposable
{
    protected FileRoot(FileSandbox sandbox) => Sandbox = sandbox;

    /// <summary>The path rules and the root's real path.</summary>
    public FileSandbox Sandbox { get; }

    /// <summary>Whether a local process swapping links while a request runs cannot make it act outside the root.</summary>
    public abstract bool RaceFree { get; }

    /// <summary>The best implementation for this platform.</summary>
    public static FileRoot Open(FileSandbox sandbox) =>
        OperatingSystem.IsLinux() && LinuxFileRoot.Supported ? new LinuxFileRoot(sandbox) : new PathFileRoot(sandbox);

    /// <summary>Opens a regular file for reading (links followed inside the root).</summary>
    public abstract OpenedFile OpenRead(string remotePath);

    /// <summary>Describes what the path names (links followed).</summary>
    public abstract FileEntry Stat(string remotePath);

    /// <summary>A folder's entries (links listed, not followed), or the one entry of a file; <c>busy</c> past <paramref name="maxEntries"/>.</summary>
    public abstract List<FileEntry> List(string remotePath, bool recursive, int maxEntries);

    /// <summary>Removes the entry (a link itself, never its target); a folder with contents only when <paramref name="recursive"/>.</summary>
    public abstract void Remove(string remotePath, bool recursive);

    public abstract void MakeDirectory(string remotePath, bool parents);

    /// <summary>
    /// Checks an upload's target (not the root, not a folder, not existing unless <paramref name="force"/>, not a
    /// reserved <c>.part</c> name), creates its missing parent folders and holds on to the folder it goes in.
    /// </summary>
    public abstract UploadPlace PrepareUpload(string remotePath, bool force);

    /// <summary>Deletes unclaimed upload <c>.part</c> files last written before <paramref name="cutoffUtc"/>; links are neither followed nor removed.</summary>
    public abstract (int Count, long Bytes) SweepParts(PartClaims claims, DateTime cutoffUtc, CancellationToken cancellationToken);

    public abstract void Dispose();

    /// <summary>The key a <c>.part</c> is claimed under: its real place, whichever path reached it.</summary>
    protected string ClaimKey(string relativeFolder, string partName) => Path.Join(Sandbox.Root, relativeFolder, partName);

    protected static FerryException NotFound(string remotePath) =>
        new(ProtocolError.NotFound, $"no such file or folder: '{FileSandbox.Printable(remotePath)}'");

    protected static FerryException IsAFolder(string remotePath) =>
        new(ProtocolError.BadRequest, $"'{FileSandbox.Printable(remotePath)}' is a folder; file.get reads files only; list a folder with file.list");

    /// <summary>A FIFO, socket or device: opening one could block the server or have side effects, so none is opened.</summary>
    protected static FerryException NotRegular(string remotePath, string kind) =>
        new(ProtocolError.BadRequest, $"'{FileSandbox.Printable(remotePath)}' is a {kind}, not a regular file; only regular files and folders are served");

    protected static FerryException Exists(string remotePath, string what = "") =>
        new(ProtocolError.AlreadyExists, $"'{FileSandbox.Printable(remotePath)}' already exists{what}");

    protected static FerryException FolderInTheWay(string remotePath) =>
        new(ProtocolError.AlreadyExists, $"'{FileSandbox.Printable(remotePath)}' is a folder");

    protected static FerryException NotEmpty(string remotePath) =>
        new(ProtocolError.BadRequest, $"'{FileSandbox.Printable(remotePath)}' is a folder that is not empty; set 'recursive' to remove it with its contents");

    protected static FerryException NoParent(string remotePath) =>
        new(ProtocolError.NotFound, $"the folder that would hold '{FileSandbox.Printable(remotePath)}' does not exist; use -p to create it too");

    protected static FerryException KeptChanging(string remotePath) =>
        new(ProtocolError.IoError, $"'{FileSandbox.Printable(remotePath)}' kept changing (a link swapped in and out) while it was being opened; try again");

    protected static void RefuseReservedName(string remotePath, string name)
    {
        if (name.EndsWith(Transfers.PartNames.Suffix, StringComparison.OrdinalIgnoreCase))
        {
            throw FileSandbox.Bad(remotePath, $"names ending in '{Transfers.PartNames.Suffix}' are reserved for partial transfers");
        }
    }

    protected static FerryException UploadToRoot(string remotePath) => FileSandbox.Bad(remotePath, "that is the root folder; name a file inside it");

    protected static FerryException RemoveRoot(string remotePath) => FileSandbox.Bad(remotePath, "the root folder itself cannot be removed");

    protected static FerryException AppearedWhileUploading(string remotePath) =>
        new(ProtocolError.AlreadyExists, $"'{FileSandbox.Printable(remotePath)}' appeared while uploading; set 'force' to overwrite it (the partial file was kept: 'resume' with the same 'key' continues it)");

    /// <summary>The last name of a remote path, or "" for the root: what list and stat call the entry.</summary>
    protected static string EntryName(List<string> names) => names.Count == 0 ? "" : names[^1];
}

/// <summary>An open regular file and what it was when opened (from the descriptor, not the path).</summary>
internal sealed record OpenedFile(SafeFileHandle Handle, long MtimeMilliseconds, int? Mode);

/// <summary>
/// The folder an upload goes into, held from <c>file.put</c> to <c>file.done</c>: the <c>.part</c> is created, finished
/// and renamed into place inside this one folder.
/// </summary>
internal abstract class UploadPlace : IDisposable
{
    /// <summary>The target's name in the folder (links followed, so it may differ from the path's last name).</summary>
    public abstract string Name { get; }

    /// <summary>The key <see cref="PartClaims"/> knows <paramref name="partName"/> by.</summary>
    public abstract string ClaimKey(string partName);

    /// <summary>Opens (creating it with <paramref name="createMode"/>) the <c>.part</c>, locked against other writers; a regular file or refused.</summary>
    public abstract SafeFileHandle OpenPart(string partName, UnixFileMode createMode);

    public abstract void DeletePart(string partName);

    /// <summary>Gives the finished <c>.part</c> its mtime and mode, then its final name (replacing a file only with <paramref name="force"/>).</summary>
    public abstract void Commit(string partName, long mtime, int mode, bool force, string remotePath);

    public abstract void Dispose();
}

using Ferry.Protocol;
using Ferry.Transfers;
using Microsoft.Win32.SafeHandles;
using Ferry.Contracts.Files;

namespace Ferry.Services.Files;

/// <summary>
/// The root where <see cref="LinuxFileRoot"/> is not available (Windows, macOS, unknown architectures): each path is
/// checked by <see cref="FileSandbox.Resolve"/> and then used by name. NOT race-free: a local process that swaps a
/// folder for a link between the check and the act can make the act land outside the root (docs/security.md).
/// </summary>
internal sealed class PathFileRoot(FileSandbox sandbox) : FileRoot(sandbox)
{
    public override bool RaceFree => false;

    public override OpenedFile OpenRead(string remotePath)
    {
        var target = Sandbox.Resolve(remotePath);
        if (Directory.Exists(target.RealPath)) throw IsAFolder(remotePath);
        SafeFileHandle? handle = File.OpenHandle(target.RealPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        try
        {
            var opened = new OpenedFile(handle, FileMetadata.ToUnixMilliseconds(File.GetLastWriteTimeUtc(handle)),
                OperatingSystem.IsWindows() ? null : (int)File.GetUnixFileMode(handle) & FileMetadata.PermissionMask);
            handle = null; // the opened file owns it now
            return opened;
        }
        finally
        {
            handle?.Dispose(); // reading its metadata failed: nothing else holds it
        }
    }

    public override FileEntry Stat(string remotePath)
    {
        var target = Sandbox.Resolve(remotePath);
        FileSystemInfo info = Directory.Exists(target.RealPath) ? new DirectoryInfo(target.RealPath) : new FileInfo(target.RealPath);
        if (!info.Exists) throw NotFound(remotePath);
        return Describe(info, target.IsRoot ? "" : Path.GetFileName(target.EntryPath));
    }

    public override List<FileEntry> List(string remotePath, bool recursive, int maxEntries)
    {
        var target = Sandbox.Resolve(remotePath);
        if (File.Exists(target.RealPath)) return [Describe(new FileInfo(target.RealPath), Path.GetFileName(target.EntryPath))];
        if (!Directory.Exists(target.RealPath)) throw NotFound(remotePath);
        var entries = new List<FileEntry>();
        var pending = new Stack<(string Path, string Prefix)>();
        pending.Push((target.RealPath, ""));
        while (pending.TryPop(out var folder))
        {
            var children = new DirectoryInfo(folder.Path).EnumerateFileSystemInfos("*", new EnumerationOptions
            {
                IgnoreInaccessible = true,
                AttributesToSkip = 0,
                RecurseSubdirectories = false,
            }).OrderBy(i => i.Name, StringComparer.Ordinal);
            foreach (var child in children)
            {
                if (entries.Count >= maxEntries)
                {
                    throw new FerryException(ProtocolError.Busy, $"'{FileSandbox.Printable(remotePath)}' has more than {maxEntries} entries; list a smaller folder");
                }
                var entry = Describe(child, folder.Prefix + child.Name);
                entries.Add(entry);
                if (recursive && entry.Kind == FileKinds.Directory) pending.Push((child.FullName, entry.Name + "/"));
            }
        }
        return entries;
    }

    public override void Remove(string remotePath, bool recursive)
    {
        var target = Sandbox.Resolve(remotePath);
        if (target.IsRoot) throw RemoveRoot(remotePath);
        var entry = new FileInfo(target.EntryPath);
        if (entry.LinkTarget is not null)
        {
            entry.Delete(); // the link, never what it points to
        }
        else if (Directory.Exists(target.EntryPath))
        {
            if (!recursive && Directory.EnumerateFileSystemEntries(target.EntryPath).Any()) throw NotEmpty(remotePath);
            Directory.Delete(target.EntryPath, recursive);
        }
        else if (entry.Exists)
        {
            entry.Delete();
        }
        else
        {
            throw NotFound(remotePath);
        }
    }

    public override void MakeDirectory(string remotePath, bool parents)
    {
        var target = Sandbox.Resolve(remotePath);
        if (Directory.Exists(target.RealPath))
        {
            if (!parents) throw Exists(remotePath);
            return;
        }
        if (File.Exists(target.RealPath)) throw Exists(remotePath, " and is a file");
        if (!parents && !Directory.Exists(Path.GetDirectoryName(target.RealPath))) throw NoParent(remotePath);
        Directory.CreateDirectory(target.RealPath);
    }

    public override UploadPlace PrepareUpload(string remotePath, bool force)
    {
        var target = Sandbox.Resolve(remotePath);
        if (target.IsRoot) throw UploadToRoot(remotePath);
        var name = Path.GetFileName(target.RealPath);
        RefuseReservedName(remotePath, name);
        if (Directory.Exists(target.RealPath)) throw FolderInTheWay(remotePath);
        if (File.Exists(target.RealPath) && !force) throw Exists(remotePath, "; set 'force' to overwrite it");
        var parent = Path.GetDirectoryName(target.RealPath)!;
        Directory.CreateDirectory(parent);
        return new Place(parent, name);
    }

    public override (int Count, long Bytes) SweepParts(PartClaims claims, DateTime cutoffUtc, CancellationToken cancellationToken)
    {
        var walk = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            MatchCasing = MatchCasing.CaseSensitive,
        };
        int count = 0;
        long bytes = 0;
        foreach (var file in new DirectoryInfo(Sandbox.Root).EnumerateFiles("*" + PartNames.Suffix, walk))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!PartNames.IsUploadPart(file.Name) || file.LastWriteTimeUtc >= cutoffUtc) continue;
            using var claim = claims.TryClaim(file.FullName);
            if (claim is null) continue;
            try
            {
                file.Refresh();
                if (!file.Exists || file.LastWriteTimeUtc >= cutoffUtc) continue;
                long length = file.Length;
                file.Delete();
                count++;
                bytes += length;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to delete: the next sweep looks again.
            }
        }
        return (count, bytes);
    }

    public override void Dispose()
    {
        // Nothing held: every operation works by path.
    }

    /// <summary>Describes a file-system entry without following a final link.</summary>
    private static FileEntry Describe(FileSystemInfo info, string name)
    {
        string kind = info.LinkTarget is not null ? FileKinds.Link : info is DirectoryInfo ? FileKinds.Directory : FileKinds.File;
        return new FileEntry
        {
            Name = name,
            Kind = kind,
            Length = info is FileInfo file && kind == FileKinds.File ? file.Length : 0,
            Mtime = FileMetadata.ToUnixMilliseconds(info.LastWriteTimeUtc),
            Mode = OperatingSystem.IsWindows() ? null : (int)info.UnixFileMode & FileMetadata.PermissionMask,
        };
    }

    private sealed class Place(string folder, string name) : UploadPlace
    {
        public override string Name => name;

        public override string ClaimKey(string partName) => Path.Join(folder, partName);

        [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The FileStream is only the way to create the file with a mode (File.OpenHandle has none); its handle is the result and the caller owns it. Disposing the stream would close that handle; an undisposed FileStream with BufferSize 0 holds nothing else.")]
        public override SafeFileHandle OpenPart(string partName, UnixFileMode createMode)
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 0 };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = createMode;
            // FileStream only to create with a mode (File.OpenHandle cannot); its handle is what is used.
            return new FileStream(Path.Join(folder, partName), options).SafeFileHandle;
        }

        public override void DeletePart(string partName) => File.Delete(Path.Join(folder, partName));

        public override void Dispose()
        {
            // Nothing held: the folder is a path.
        }

        public override void Commit(string partName, long mtime, int mode, bool force, string remotePath)
        {
            var part = Path.Join(folder, partName);
            var target = Path.Join(folder, name);
            FileMetadata.Apply(part, mtime, mode);
            try
            {
                File.Move(part, target, overwrite: force);
            }
            catch (IOException) when (!force && File.Exists(target))
            {
                throw AppearedWhileUploading(remotePath);
            }
        }
    }
}

using System.Runtime.Versioning;
using Ferry.Protocol;
using Ferry.Transfers;
using Microsoft.Win32.SafeHandles;
using static Ferry.Services.Files.LinuxCalls;
using Ferry.Contracts.Files;

namespace Ferry.Services.Files;

/// <summary>
/// The root on Linux, race-free: a path is walked from a descriptor of the root one name at a time, each folder
/// opened with O_PATH|O_DIRECTORY|O_NOFOLLOW relative to the one before, so a name swapped for a link between two
/// steps fails to open instead of being followed. Links are then read (readlinkat) and their targets walked the same
/// way, '..' going back up this walk's own stack of descriptors, never up the real tree; a target that would climb
/// above the root, or an absolute one not under the root's real path, is <c>bad_path</c>. Every operation then acts
/// through the descriptor of the folder it found (openat, statx, mkdirat, unlinkat, renameat2, fchmod, futimens),
/// files are opened O_NOFOLLOW|O_NONBLOCK and refused unless regular, and recursive remove and the stale-part sweep
/// descend by descriptor, never by path.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxFileRoot : FileRoot
{
    private const int MaxLinkHops = 40;
    private const int MaxAttempts = 8;
    private const int AtFdCwd = -100;
    private const int FolderMode = 0x1FF; // 0777, less the umask, as Directory.CreateDirectory

    private readonly SafeFileHandle _root;

    public LinuxFileRoot(FileSandbox sandbox) : base(sandbox)
    {
        int fd = OpenAt(AtFdCwd, sandbox.Root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, out int errno);
        if (fd < 0) throw Error(errno, $"opening the root '{sandbox.Root}'");
        _root = new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Whether this build knows the flag values of the running architecture (64-bit only: dirent layout).</summary>
    public static bool Supported => ArchFlags is not null && IntPtr.Size == 8;

    public override bool RaceFree => true;

    public override OpenedFile OpenRead(string remotePath)
    {
        var names = FileSandbox.Validate(remotePath);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            using var walk = new Walk(_root);
            var at = Resolve(walk, remotePath, names, followFinal: true, create: false);
            if (!at.Exists) throw NotFound(remotePath);
            RefuseUnopenable(at.Stat, remotePath);
            // O_NONBLOCK: a FIFO swapped in after the check cannot hold this thread; O_NOFOLLOW: nor can a link.
            int fd = OpenAt(walk.Dir, at.Name!, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0, out int errno);
            if (fd < 0)
            {
                if (errno is ELOOP or ENOENT) continue; // swapped or gone since the check: resolve again
                throw Error(errno, "opening a file");
            }
            SafeFileHandle? handle = new SafeFileHandle(fd, ownsHandle: true);
            try
            {
                var stat = StatOf(handle);
                RefuseUnopenable(stat, remotePath);
                var opened = new OpenedFile(handle, stat.MtimeMilliseconds, stat.Mode & FileMetadata.PermissionMask);
                handle = null; // the opened file owns it now
                return opened;
            }
            finally
            {
                handle?.Dispose(); // refused or failed: nothing else holds it
            }
        }
        throw KeptChanging(remotePath);
    }

    public override FileEntry Stat(string remotePath)
    {
        var names = FileSandbox.Validate(remotePath);
        using var walk = new Walk(_root);
        var at = Resolve(walk, remotePath, names, followFinal: true, create: false);
        if (!at.Exists) throw NotFound(remotePath);
        bool isRoot = at.Name is null && walk.AtRoot;
        return Describe(at.Stat, isRoot ? "" : EntryName(names));
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "Collect owns the folder handle it is given and closes it on every path (its finally).")]
    public override List<FileEntry> List(string remotePath, bool recursive, int maxEntries)
    {
        var names = FileSandbox.Validate(remotePath);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            using var walk = new Walk(_root);
            var at = Resolve(walk, remotePath, names, followFinal: true, create: false);
            if (!at.Exists) throw NotFound(remotePath);
            if (at.Stat.Type != S_IFDIR) return [Describe(at.Stat, EntryName(names))];
            int fd = OpenAt(walk.Dir, at.Name ?? ".", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, out int errno);
            if (fd < 0)
            {
                if (errno is ELOOP or ENOTDIR or ENOENT) continue;
                throw Error(errno, "opening a folder");
            }
            return Collect(new SafeFileHandle(fd, ownsHandle: true), recursive, maxEntries, remotePath);
        }
        throw KeptChanging(remotePath);
    }

    // Depth first, children in name order (as before). A pending folder holds a reference on its parent's
    // descriptor, not a descriptor of its own, so a wide tree does not run out of descriptors.
    private static List<FileEntry> Collect(SafeFileHandle top, bool recursive, int maxEntries, string remotePath)
    {
        var entries = new List<FileEntry>();
        var pending = new Stack<(SafeFileHandle Parent, string Name, string Prefix)>();
        SafeFileHandle? folder = top;
        string prefix = "";
        try
        {
            while (true)
            {
                if (folder is not null)
                {
                    List<string> children;
                    try
                    {
                        children = ReadNames(Fd(folder));
                    }
                    catch (UnauthorizedAccessException) when (!ReferenceEquals(folder, top))
                    {
                        children = []; // an unreadable folder below is skipped, as before
                    }
                    children.Sort(StringComparer.Ordinal);
                    foreach (var name in children)
                    {
                        if (entries.Count >= maxEntries)
                        {
                            throw new FerryException(ProtocolError.Busy, $"'{FileSandbox.Printable(remotePath)}' has more than {maxEntries} entries; list a smaller folder");
                        }
                        if (StatAt(Fd(folder), name, out var stat) != 0) continue; // gone meanwhile
                        var entry = Describe(stat, prefix + name);
                        entries.Add(entry);
                        if (recursive && entry.Kind == FileKinds.Directory)
                        {
                            bool added = false;
                            folder.DangerousAddRef(ref added);
                            pending.Push((folder, name, entry.Name + "/"));
                        }
                    }
                    folder.Dispose(); // closes once the pending children let go
                    folder = null;
                }
                if (!pending.TryPop(out var next)) return entries;
                int fd = OpenAt(Fd(next.Parent), next.Name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, out _);
                next.Parent.DangerousRelease();
                if (fd < 0) continue; // swapped for a link or gone: it was listed, it is not entered
                folder = new SafeFileHandle(fd, ownsHandle: true);
                prefix = next.Prefix;
            }
        }
        finally
        {
            folder?.Dispose();
            while (pending.TryPop(out var left)) left.Parent.DangerousRelease();
        }
    }

    public override void Remove(string remotePath, bool recursive)
    {
        var names = FileSandbox.Validate(remotePath);
        if (names.Count == 0) throw RemoveRoot(remotePath);
        using (var check = new Walk(_root))
        {
            // Where the path leads must be inside (as for every request), and must not be the root itself.
            var target = Resolve(check, remotePath, names, followFinal: true, create: false);
            if (target.Name is null && check.AtRoot) throw RemoveRoot(remotePath);
        }
        using var walk = new Walk(_root);
        var at = Resolve(walk, remotePath, names, followFinal: false, create: false);
        if (!at.Exists) throw NotFound(remotePath);
        RemoveEntry(walk.Dir, at.Name!, at.Stat, recursive, remotePath);
    }

    // Removes 'name' in 'dir': a link or file by unlinkat; a folder by descending through its descriptor.
    private static void RemoveEntry(int dir, string name, Statx stat, bool recursive, string remotePath)
    {
        if (stat.Type != S_IFDIR)
        {
            Check(UnlinkAt(dir, name, 0), "removing a file");
            return;
        }
        int fd = OpenAt(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, out int errno);
        if (fd < 0)
        {
            // Swapped for a link (or a file) since it was looked at: that is removed itself, never followed.
            if (errno is ELOOP or ENOTDIR) Check(UnlinkAt(dir, name, 0), "removing a file");
            else if (errno != ENOENT) throw Error(errno, "opening a folder");
            return;
        }
        using (var folder = new SafeFileHandle(fd, ownsHandle: true))
        {
            if (!recursive)
            {
                if (ReadNames(fd).Count > 0) throw NotEmpty(remotePath);
            }
            else
            {
                foreach (var child in ReadNames(fd))
                {
                    if (StatAt(fd, child, out var childStat) == 0) RemoveEntry(fd, child, childStat, recursive: true, remotePath);
                }
            }
        }
        int removed = UnlinkAt(dir, name, AT_REMOVEDIR);
        if (removed == ENOTEMPTY && !recursive) throw NotEmpty(remotePath);
        if (removed != ENOENT) Check(removed, "removing a folder");
    }

    public override void MakeDirectory(string remotePath, bool parents)
    {
        var names = FileSandbox.Validate(remotePath);
        using var walk = new Walk(_root);
        Location at;
        try
        {
            at = Resolve(walk, remotePath, names, followFinal: true, create: parents);
        }
        catch (FileNotFoundException) when (!parents)
        {
            throw NoParent(remotePath);
        }
        if (!at.Exists)
        {
            int made = MkdirAt(walk.Dir, at.Name!, FolderMode);
            if (made == 0) return;
            if (made != EEXIST) throw Error(made, "creating a folder");
            Check(StatAt(walk.Dir, at.Name!, out var raced), "looking at a folder");
            at = at with { Stat = raced };
        }
        if (at.Stat.Type != S_IFDIR) throw Exists(remotePath, " and is a file");
        if (!parents) throw Exists(remotePath);
    }

    public override UploadPlace PrepareUpload(string remotePath, bool force)
    {
        var names = FileSandbox.Validate(remotePath);
        if (names.Count == 0) throw UploadToRoot(remotePath);
        RefuseReservedName(remotePath, names[^1]);
        Walk? walk = new Walk(_root);
        try
        {
            var at = Resolve(walk, remotePath, names, followFinal: true, create: true);
            if (at.Name is null)
            {
                if (walk.AtRoot) throw UploadToRoot(remotePath);
                throw FolderInTheWay(remotePath);
            }
            RefuseReservedName(remotePath, at.Name);
            if (at.Exists)
            {
                if (at.Stat.Type == S_IFDIR) throw FolderInTheWay(remotePath);
                if (!force) throw Exists(remotePath, "; set 'force' to overwrite it");
            }
            var place = new Place(this, walk, at.Name);
            walk = null; // the place holds the folder now
            return place;
        }
        finally
        {
            walk?.Dispose(); // refused or failed: nothing else holds it
        }
    }

    public override (int Count, long Bytes) SweepParts(PartClaims claims, DateTime cutoffUtc, CancellationToken cancellationToken)
    {
        int fd = OpenAt(Fd(_root), ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0, out int errno);
        if (fd < 0) throw Error(errno, "opening the root");
        using var top = new SafeFileHandle(fd, ownsHandle: true);
        int count = 0;
        long bytes = 0;
        SweepFolder(fd, "");
        return (count, bytes);

        void SweepFolder(int folder, string relative)
        {
            List<string> children;
            try
            {
                children = ReadNames(folder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return; // unreadable or gone: the next sweep looks again
            }
            foreach (var name in children)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (StatAt(folder, name, out var stat) != 0) continue;
                if (stat.Type == S_IFDIR)
                {
                    int child = OpenAt(folder, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, out _);
                    if (child < 0) continue;
                    using var childHandle = new SafeFileHandle(child, ownsHandle: true);
                    SweepFolder(child, Path.Join(relative, name));
                    continue;
                }
                if (!IsStale(stat, name)) continue;
                using var claim = claims.TryClaim(ClaimKey(relative, name));
                if (claim is null) continue;
                // Looked at again under the claim: an upload may have resumed it just before.
                if (StatAt(folder, name, out stat) != 0 || !IsStale(stat, name)) continue;
                if (UnlinkAt(folder, name, 0) != 0) continue;
                count++;
                bytes += (long)stat.Size;
            }
        }

        bool IsStale(Statx stat, string name) =>
            stat.Type == S_IFREG && PartNames.IsUploadPart(name) && FileMetadata.FromUnixMilliseconds(stat.MtimeMilliseconds) < cutoffUtc;
    }

    public override void Dispose() => _root.Dispose();

    // Walks 'names' from the root (the walk starts there). With 'followFinal' a link in the last place is followed too
    // (inside the root); without, the last name is taken as it is (remove acts on the link itself). With 'create',
    // missing folders on the way are made. The result names an entry of walk.Dir, or walk.Dir itself (Name null).
    private Location Resolve(Walk walk, string remotePath, List<string> names, bool followFinal, bool create)
    {
        var pending = new Stack<string>(names.Count);
        for (int i = names.Count - 1; i >= 0; i--) pending.Push(names[i]);
        int hops = 0;
        while (pending.TryPop(out var name))
        {
            bool last = pending.Count == 0;
            if (name.Length == 0 || name == ".")
            {
                if (last) return Itself(walk);
                continue;
            }
            if (name == "..")
            {
                // Only a link's target can say '..' (Validate refuses it in the path): back up this walk, never past the root.
                if (!walk.Leave()) throw Escapes(remotePath);
                if (last) return Itself(walk);
                continue;
            }
            if (last)
            {
                int looked = StatAt(walk.Dir, name, out var stat);
                if (looked == ENOENT) return new Location(name, default, Exists: false);
                Check(looked, "looking at a file");
                if (!followFinal || stat.Type != S_IFLNK) return new Location(name, stat, Exists: true);
                Expand(walk, name, pending, ref hops, remotePath, intermediate: false);
                continue;
            }
            int fd = OpenAt(walk.Dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, out int errno);
            if (fd >= 0)
            {
                walk.Enter(fd, name);
                continue;
            }
            if (errno == ENOENT && create)
            {
                int made = MkdirAt(walk.Dir, name, FolderMode);
                if (made != 0 && made != EEXIST) throw Error(made, "creating a folder");
                CountHop(ref hops, remotePath); // bounded, should a local process keep deleting it
                pending.Push(name);
                continue;
            }
            if (errno is ELOOP or ENOTDIR)
            {
                Expand(walk, name, pending, ref hops, remotePath, intermediate: true);
                continue;
            }
            throw Error(errno, "opening a folder");
        }
        return Itself(walk);
    }

    // 'name' in walk.Dir looked like a link: its target's names go in front of what is left to walk.
    private void Expand(Walk walk, string name, Stack<string> pending, ref int hops, string remotePath, bool intermediate)
    {
        CountHop(ref hops, remotePath);
        var target = ReadLinkAt(walk.Dir, name, out int errno);
        if (target is null)
        {
            if (errno is not (EINVAL or ENOENT)) throw Error(errno, "reading a link");
            // Not a link (any more): a folder swapped back is stepped into, a file in the middle of a path is not_found.
            int looked = StatAt(walk.Dir, name, out var stat);
            if (intermediate && (looked != 0 || stat.Type is not (S_IFDIR or S_IFLNK))) throw Error(looked != 0 ? looked : ENOTDIR, "opening a folder");
            pending.Push(name);
            return;
        }
        if (target.Length == 0) throw Error(ENOENT, "reading a link");
        if (target.StartsWith('/'))
        {
            var full = Path.GetFullPath(target);
            var root = Sandbox.Root;
            var prefix = root.EndsWith('/') ? root : root + "/";
            if (full != root && !full.StartsWith(prefix, StringComparison.Ordinal)) throw Escapes(remotePath);
            walk.BackToRoot();
            target = full.Length <= prefix.Length ? "" : full[prefix.Length..];
        }
        var parts = target.Split('/');
        for (int i = parts.Length - 1; i >= 0; i--) pending.Push(parts[i]);
    }

    private static void CountHop(ref int hops, string remotePath)
    {
        if (++hops > MaxLinkHops) throw FileSandbox.Bad(remotePath, "too many levels of symbolic links");
    }

    private static Location Itself(Walk walk)
    {
        Check(StatAt(walk.Dir, "", out var stat), "looking at a folder");
        return new Location(null, stat, Exists: true);
    }

    private static FerryException Escapes(string remotePath) => FileSandbox.Bad(remotePath, "it leads through a link to outside the server's root");

    private static void RefuseUnopenable(Statx stat, string remotePath)
    {
        switch (stat.Type)
        {
            case S_IFREG: return;
            case S_IFDIR: throw IsAFolder(remotePath);
            case S_IFIFO: throw NotRegular(remotePath, "named pipe (FIFO)");
            case S_IFSOCK: throw NotRegular(remotePath, "socket");
            case S_IFCHR or S_IFBLK: throw NotRegular(remotePath, "device");
            default: throw NotRegular(remotePath, "special file");
        }
    }

    private static Statx StatOf(SafeFileHandle handle)
    {
        Check(StatAt(Fd(handle), "", out var stat), "looking at a file");
        return stat;
    }

    private static FileEntry Describe(Statx stat, string name)
    {
        string kind = stat.Type switch { S_IFLNK => FileKinds.Link, S_IFDIR => FileKinds.Directory, _ => FileKinds.File };
        return new FileEntry
        {
            Name = name,
            Kind = kind,
            Length = kind == FileKinds.File ? (long)stat.Size : 0,
            Mtime = stat.MtimeMilliseconds,
            Mode = stat.Mode & FileMetadata.PermissionMask,
        };
    }

    private static void Check(int errno, string what)
    {
        if (errno != 0) throw Error(errno, what);
    }

    private static int Fd(SafeFileHandle handle) => (int)handle.DangerousGetHandle();

    private record struct Location(string? Name, Statx Stat, bool Exists);

    // The folders one resolution stands in, root first; '..' pops. Owns every descriptor but the root's.
    private sealed class Walk(SafeFileHandle root) : IDisposable
    {
        private readonly List<(SafeFileHandle Handle, string Name)> _folders = [(root, "")];

        public int Dir => Fd(_folders[^1].Handle);

        public bool AtRoot => _folders.Count == 1;

        /// <summary>The real path of <see cref="Dir"/> below the root ("" for the root).</summary>
        public string RelativePath => string.Join('/', _folders.Skip(1).Select(f => f.Name));

        public void Enter(int fd, string name) => _folders.Add((new SafeFileHandle(fd, ownsHandle: true), name));

        public bool Leave()
        {
            if (AtRoot) return false;
            _folders[^1].Handle.Dispose();
            _folders.RemoveAt(_folders.Count - 1);
            return true;
        }

        public void BackToRoot()
        {
            while (Leave())
            {
            }
        }

        public void Dispose() => BackToRoot();
    }

    // An upload's folder, held by descriptor from file.put to file.done.
    private sealed class Place(LinuxFileRoot root, Walk walk, string name) : UploadPlace
    {
        public override string Name => name;

        public override string ClaimKey(string partName) => root.ClaimKey(walk.RelativePath, partName);

        public override SafeFileHandle OpenPart(string partName, UnixFileMode createMode)
        {
            int fd = OpenAt(walk.Dir, partName, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, (int)createMode, out int errno);
            if (fd < 0) throw Error(errno, "opening the partial file");
            var handle = new SafeFileHandle(fd, ownsHandle: true);
            try
            {
                if (StatOf(handle).Type != S_IFREG) throw new IOException($"the partial file '{partName}' is not a regular file");
                // As FileShare.None does in .NET: a second writer (another server on the same root) is refused, not mixed in.
                int locked = Flock(fd, LOCK_EX | LOCK_NB);
                if (locked != 0) throw new IOException("the partial file is locked by another writer", locked);
                return handle;
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        public override void DeletePart(string partName)
        {
            int removed = UnlinkAt(walk.Dir, partName, 0);
            if (removed != ENOENT) Check(removed, "removing the partial file");
        }

        public override void Commit(string partName, long mtime, int mode, bool force, string remotePath)
        {
            int fd = OpenAt(walk.Dir, partName, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0, out int errno);
            if (fd < 0) throw Error(errno, "opening the partial file");
            using (var handle = new SafeFileHandle(fd, ownsHandle: true))
            {
                if (StatOf(handle).Type != S_IFREG) throw new IOException($"the partial file '{partName}' is not a regular file");
                Check(Fchmod(fd, mode & FileMetadata.PermissionMask), "setting the mode");
                if (mtime > 0) Check(SetMtime(fd, mtime), "setting the modification time");
            }
            int renamed;
            if (force)
            {
                renamed = RenameAt(walk.Dir, partName, name, 0);
            }
            else
            {
                renamed = RenameAt(walk.Dir, partName, name, RENAME_NOREPLACE);
                if (renamed is EINVAL or ENOSYS or EOPNOTSUPP)
                {
                    // A file system without RENAME_NOREPLACE: check, then rename (not atomic there, as File.Move).
                    renamed = StatAt(walk.Dir, name, out _) == 0 ? EEXIST : RenameAt(walk.Dir, partName, name, 0);
                }
            }
            if (renamed == EEXIST) throw AppearedWhileUploading(remotePath);
            Check(renamed, "renaming the finished file into place");
        }

        public override void Dispose() => walk.Dispose();
    }
}

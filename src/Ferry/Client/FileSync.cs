using System.Diagnostics;
using Ferry.Contracts.Files;
using Ferry.Protocol;
using Ferry.Transfers;

namespace Ferry.Client;

/// <summary>Which way a sync copies: local folder to the server's, or the server's to a local one.</summary>
public enum SyncDirection
{
    /// <summary>The local folder is the source; the remote folder becomes its mirror.</summary>
    Upload,

    /// <summary>The remote folder is the source; the local folder becomes its mirror.</summary>
    Download,
}

/// <summary>How a sync decides and acts.</summary>
public sealed class SyncOptions
{
    /// <summary>Compare files of equal size by SHA-256 (the server hashes its side) instead of by modification time.</summary>
    public bool Checksum { get; init; }

    /// <summary>Remove what the destination has and the source lacks (excluded paths are left alone).</summary>
    public bool Delete { get; init; }

    /// <summary>Throw away partial copies an interrupted run left instead of checking and continuing them.</summary>
    public bool Restart { get; init; }

    /// <summary>Paths left out on both sides.</summary>
    public SyncExcludes Excludes { get; init; } = SyncExcludes.None;

    /// <summary>Compress file data (and deltas) on the wire where it shrinks (<see cref="FileTransferOptions.Compress"/>).</summary>
    public bool Compress { get; init; }
}

/// <summary>One file a sync sends, with why: <c>new</c>, <c>size</c>, <c>mtime</c> or <c>checksum</c> (what differed).</summary>
/// <param name="Path">'/'-separated, relative to the synced folders.</param>
/// <param name="Size">Its size at the source when planned.</param>
/// <param name="Reason">Why it is sent.</param>
public sealed record SyncFile(string Path, long Size, string Reason);

/// <summary>
/// What a sync will do, worked out by <see cref="FileSync.PlanAsync"/> before anything changes: the files to send,
/// folders to create, destination paths to delete (a removed folder goes with everything in it), how many files are
/// already the same, and what is skipped (links, partial files, excluded paths).
/// </summary>
public sealed class SyncPlan
{
    internal SyncPlan(SyncDirection direction, string localFolder, string remoteFolder)
    {
        Direction = direction;
        LocalFolder = localFolder;
        RemoteFolder = remoteFolder;
    }

    /// <summary>Which way the files go.</summary>
    public SyncDirection Direction { get; }

    /// <summary>The local folder (full path).</summary>
    public string LocalFolder { get; }

    /// <summary>The remote folder, relative to the server's root.</summary>
    public string RemoteFolder { get; }

    /// <summary>Files to send, in path order.</summary>
    public List<SyncFile> Send { get; } = [];

    /// <summary>Folders the destination lacks that no sent file creates (empty folders of the source).</summary>
    public List<string> Folders { get; } = [];

    /// <summary>Destination paths to remove (only with <see cref="SyncOptions.Delete"/>, or where a folder must give way to a file).</summary>
    public List<string> Delete { get; } = [];

    /// <summary>Files already the same on both sides.</summary>
    public int Unchanged { get; internal set; }

    /// <summary>Paths left alone, each with why ("link", "partial file", "excluded").</summary>
    public List<(string Path, string Why)> Skipped { get; } = [];

    /// <summary>Bytes of the files to send.</summary>
    public long SendBytes => Send.Sum(f => f.Size);

    /// <summary>The destination's path for <paramref name="relative"/>: a remote path, or a full local one.</summary>
    public string DestinationOf(string relative) => Direction == SyncDirection.Upload ? RemoteOf(relative) : LocalOf(relative);

    /// <summary>The source's path for <paramref name="relative"/>.</summary>
    public string SourceOf(string relative) => Direction == SyncDirection.Upload ? LocalOf(relative) : RemoteOf(relative);

    internal string RemoteOf(string relative) => RemoteFolder.Length == 0 ? relative : relative.Length == 0 ? RemoteFolder : RemoteFolder + "/" + relative;

    internal string LocalOf(string relative) => relative.Length == 0 ? LocalFolder : Path.Join(LocalFolder, relative.Replace('/', Path.DirectorySeparatorChar));
}

/// <summary>What a sync did.</summary>
/// <param name="Plan">What it set out to do.</param>
/// <param name="Sent">Each file sent, in the plan's order.</param>
/// <param name="Elapsed">From the first change to the last.</param>
public sealed record SyncResult(SyncPlan Plan, IReadOnlyList<FileTransferResult> Sent, TimeSpan Elapsed);

/// <summary>
/// One-way mirroring of a folder between this machine and a server's root (<c>ferry sync</c>): files are compared by
/// size and modification time (or SHA-256), only those that differ are sent — each verified, under a <c>.part</c> until
/// it is whole, resumed if an earlier run was cut off — and with <see cref="SyncOptions.Delete"/> what the source lacks
/// is removed from the destination: on the server through its sandbox, here without following links and never
/// outside the destination folder. Many files are in flight at once (<see cref="TransferWindow"/>).
/// </summary>
public static class FileSync
{
    /// <summary>
    /// Compares both sides and says what a sync would do; changes nothing. The remote folder may be missing (everything
    /// is new); a remote path that is a file, or a local one that is not a folder, is an error.
    /// </summary>
    public static async Task<SyncPlan> PlanAsync(FerryClient client, SyncDirection direction, string localFolder, string remoteFolder,
        SyncOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        options ??= new SyncOptions();
        var local = Path.GetFullPath(localFolder);
        var remote = remoteFolder.Trim().Trim('/');
        if (remote == ".") remote = "";
        var plan = new SyncPlan(direction, local, remote);
        if (File.Exists(local)) throw new IOException($"'{localFolder}' is a file here; sync takes folders");
        var here = Directory.Exists(local) ? WalkLocal(local, options.Excludes, plan, direction == SyncDirection.Upload) : [];
        if (direction == SyncDirection.Upload && !Directory.Exists(local)) throw new DirectoryNotFoundException($"no such local folder: '{localFolder}'");
        var there = await ListRemoteAsync(client, remote, options, plan, direction == SyncDirection.Download, cancellationToken).ConfigureAwait(false);
        var (source, destination) = direction == SyncDirection.Upload ? (here, there) : (there, here);

        var filesSent = new List<string>();
        foreach (var (path, entry) in source)
        {
            destination.TryGetValue(path, out var existing);
            if (entry.Kind == FileKinds.Directory)
            {
                if (existing is { Kind: FileKinds.Directory }) continue;
                if (existing is not null)
                {
                    RefuseKindChange(path, existing.Kind, options);
                    plan.Delete.Add(path); // a file or link where a folder goes
                }
                plan.Folders.Add(path);
                continue;
            }
            string? reason;
            if (existing is null) reason = "new";
            else if (existing.Kind != FileKinds.File)
            {
                RefuseKindChange(path, existing.Kind, options);
                plan.Delete.Add(path); // a folder or link gives way to the file
                reason = "new";
            }
            else if (existing.Length != entry.Length) reason = "size";
            else if (options.Checksum)
            {
                // The remote entry carries the server's hash (null when it could not read the file: then they differ).
                var remoteSha = direction == SyncDirection.Upload ? existing.Sha256 : entry.Sha256;
                var localSha = await LocalSha256Async(plan, path, cancellationToken).ConfigureAwait(false);
                reason = Sha256Hex.Same(localSha, remoteSha) ? null : "checksum";
            }
            else reason = existing.Mtime != entry.Mtime ? "mtime" : null;
            if (reason is null) plan.Unchanged++;
            else
            {
                plan.Send.Add(new SyncFile(path, entry.Length, reason));
                filesSent.Add(path);
            }
        }
        if (options.Delete)
        {
            foreach (var (path, _) in destination)
            {
                if (source.ContainsKey(path) || plan.Delete.Contains(path)) continue;
                // A removed folder takes its contents along: name only the topmost.
                if (Ancestors(path).Any(a => destination.ContainsKey(a) && (!source.TryGetValue(a, out var kept) || kept.Kind != FileKinds.Directory))) continue;
                plan.Delete.Add(path);
            }
        }
        // Uploads and downloads create their parent folders: only folders no sent file lies under need creating.
        var covered = new HashSet<string>(filesSent.SelectMany(Ancestors), StringComparer.Ordinal);
        plan.Folders.RemoveAll(covered.Contains);
        plan.Delete.Sort(StringComparer.Ordinal);
        return plan;
    }

    /// <summary>
    /// Carries out <paramref name="plan"/>: deletes first (so a folder can give way to a file of its name), then creates
    /// the empty folders, then sends the files through <paramref name="window"/>. <paramref name="fileDone"/> hears of each finished file.
    /// </summary>
    public static async Task<SyncResult> RunAsync(FerryClient client, SyncPlan plan, SyncOptions? options = null, TransferWindow? window = null,
        Action<SyncFile, FileTransferResult>? fileDone = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var clock = Stopwatch.StartNew();
        window ??= new TransferWindow();
        await PrepareAsync(client, plan, window, cancellationToken).ConfigureAwait(false);
        var sent = await window.RunAsync(plan.Send, f => f.Size, async (file, ct) =>
        {
            var result = await SendAsync(client, plan, file, options, null, ct).ConfigureAwait(false);
            fileDone?.Invoke(file, result);
            return result;
        }, cancellationToken).ConfigureAwait(false);
        return new SyncResult(plan, sent, clock.Elapsed);
    }

    /// <summary>The steps before sending: the plan's deletes, then its folders (several requests in flight at once).</summary>
    public static async Task PrepareAsync(FerryClient client, SyncPlan plan, TransferWindow? window = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(plan);
        window ??= new TransferWindow();
        await window.RunAsync(plan.Delete, _ => 0, async (path, ct) =>
        {
            try
            {
                if (plan.Direction == SyncDirection.Upload) await client.RemoveAsync(plan.RemoteOf(path), recursive: true, ct).ConfigureAwait(false);
                else DeleteLocal(plan, path);
            }
            catch (FerryException ex) when (ex.Error == ProtocolError.NotFound)
            {
                // Gone already (removed since the plan was made): that is what was wanted.
            }
            return true;
        }, cancellationToken).ConfigureAwait(false);
        await window.RunAsync(plan.Folders, _ => 0, async (path, ct) =>
        {
            if (plan.Direction == SyncDirection.Upload) await client.MakeDirectoryAsync(plan.RemoteOf(path), parents: true, ct).ConfigureAwait(false);
            else CreateLocalFolder(plan, path);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends one file of <paramref name="plan"/> (replacing what the destination has; a partial copy from an interrupted
    /// run is checked and continued unless <see cref="SyncOptions.Restart"/>), keeping its modification time and mode.
    /// </summary>
    public static async Task<FileTransferResult> SendAsync(FerryClient client, SyncPlan plan, SyncFile file, SyncOptions? options = null,
        Action<FileTransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(file);
        // A file the destination has in another version goes as a delta (big enough ones; see FileTransferOptions.Delta).
        var transfer = new FileTransferOptions { Force = true, Resume = options?.Restart != true, Progress = progress, Delta = file.Reason != "new", Compress = options?.Compress == true };
        if (plan.Direction == SyncDirection.Upload)
        {
            return await client.UploadAsync(plan.LocalOf(file.Path), plan.RemoteOf(file.Path), transfer, cancellationToken).ConfigureAwait(false);
        }
        var local = plan.LocalOf(file.Path);
        RefuseLinksOnTheWay(plan, file.Path);
        return await client.DownloadAsync(plan.RemoteOf(file.Path), local, transfer, cancellationToken).ConfigureAwait(false);
    }

    // What one side holds, by relative path.
    private sealed class Entry
    {
        public string Kind = FileKinds.File;
        public long Length;
        public long Mtime;
        public string? Sha256;
    }

    private static SortedDictionary<string, Entry> WalkLocal(string top, SyncExcludes excludes, SyncPlan plan, bool isSource)
    {
        var found = new SortedDictionary<string, Entry>(StringComparer.Ordinal);
        var walk = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        var pending = new Stack<(DirectoryInfo Dir, string Relative)>();
        pending.Push((new DirectoryInfo(top), ""));
        while (pending.Count > 0)
        {
            var (dir, relative) = pending.Pop();
            foreach (var item in dir.EnumerateFileSystemInfos("*", walk))
            {
                var path = relative.Length == 0 ? item.Name : relative + "/" + item.Name;
                bool isFolder = item is DirectoryInfo && item.LinkTarget is null;
                if (excludes.Excludes(path, isFolder))
                {
                    if (isSource) plan.Skipped.Add((path, "excluded"));
                    continue;
                }
                if (item.LinkTarget is not null)
                {
                    // Never followed. At the source it is skipped; at the destination it is an entry that --delete may remove.
                    if (isSource) plan.Skipped.Add((path, "link"));
                    else found[path] = new Entry { Kind = FileKinds.Link };
                }
                else if (item is DirectoryInfo sub)
                {
                    found[path] = new Entry { Kind = FileKinds.Directory };
                    pending.Push((sub, path));
                }
                else if (item is FileInfo file)
                {
                    if (file.Name.EndsWith(PartNames.Suffix, StringComparison.Ordinal))
                    {
                        // A partial copy (a download's NAME.part, say): never sent, never deleted, as on the server.
                        if (isSource) plan.Skipped.Add((path, "partial file"));
                        continue;
                    }
                    found[path] = new Entry { Length = file.Length, Mtime = FileMetadata.ToUnixMilliseconds(file.LastWriteTimeUtc) };
                }
            }
        }
        return found;
    }

    private static async Task<SortedDictionary<string, Entry>> ListRemoteAsync(FerryClient client, string remote, SyncOptions options, SyncPlan plan,
        bool isSource, CancellationToken cancellationToken)
    {
        var found = new SortedDictionary<string, Entry>(StringComparer.Ordinal);
        IReadOnlyList<FileEntry> entries;
        try
        {
            var top = await client.StatAsync(remote, cancellationToken).ConfigureAwait(false);
            if (top.Kind != FileKinds.Directory) throw new FerryException(ProtocolError.BadRequest, $"'{remote}' is a file on the server; sync takes folders");
            entries = await client.ListAsync(remote, recursive: true, sha256: options.Checksum, cancellationToken).ConfigureAwait(false);
        }
        catch (FerryException ex) when (ex.Error == ProtocolError.NotFound && !isSource)
        {
            return found; // not there yet: everything is new
        }
        // Excluded folders are not descended into: their contents go too.
        var excludedFolders = new List<string>();
        foreach (var entry in entries)
        {
            var path = CheckedRelative(entry.Name);
            bool isFolder = entry.Kind == FileKinds.Directory;
            if (excludedFolders.Any(f => path.StartsWith(f + "/", StringComparison.Ordinal))) continue;
            if (options.Excludes.Excludes(path, isFolder))
            {
                if (isFolder) excludedFolders.Add(path);
                if (isSource) plan.Skipped.Add((path, "excluded"));
                continue;
            }
            if (entry.Kind == FileKinds.Link)
            {
                if (isSource) plan.Skipped.Add((path, "link"));
                else found[path] = new Entry { Kind = FileKinds.Link };
                continue;
            }
            if (entry.Kind == FileKinds.File && PartNames.IsUploadPart(RemoteBaseName(path)))
            {
                continue; // an upload's partial file: the server's own business
            }
            found[path] = new Entry { Kind = entry.Kind, Length = entry.Length, Mtime = entry.Mtime, Sha256 = entry.Sha256 };
        }
        return found;
    }

    // Names in a listing come from the server: one that would climb out of the folder, or name it, is refused outright.
    private static string CheckedRelative(string name)
    {
        var parts = name.Split('/');
        if (name.Length == 0 || parts.Any(p => p is "" or "." or ".." || p.Contains('\0') || (Path.DirectorySeparatorChar == '\\' && p.Contains('\\'))))
        {
            throw new FerryException(ProtocolError.BadRequest, $"the server listed an entry named '{name.Replace('\0', '?')}', which is not a path inside the folder; nothing was changed");
        }
        return name;
    }

    // Replacing a folder by a file (or the reverse) deletes what was there: only when deleting was asked for.
    private static void RefuseKindChange(string path, string destinationKind, SyncOptions options)
    {
        if (options.Delete) return;
        var what = destinationKind == FileKinds.Directory ? "a folder" : destinationKind == FileKinds.Link ? "a link" : "a file";
        throw new IOException($"'{path}' is {what} at the destination but not at the source; add --delete to replace it");
    }

    private static string RemoteBaseName(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static IEnumerable<string> Ancestors(string path)
    {
        for (int slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
        {
            yield return path[..slash];
        }
    }

    private static async Task<string?> LocalSha256Async(SyncPlan plan, string path, CancellationToken cancellationToken)
    {
        var full = plan.LocalOf(path);
        using var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        using var hash = Sha256Hex.Create();
        await Sha256Hex.AppendPrefixAsync(hash, handle, RandomAccess.GetLength(handle), cancellationToken).ConfigureAwait(false);
        return Sha256Hex.Of(hash);
    }

    // Local changes happen only under the destination folder, through no link: each folder on the way is checked
    // to be a real folder (not a link someone put there since the plan), so nothing outside can be reached.
    private static void RefuseLinksOnTheWay(SyncPlan plan, string relative)
    {
        var at = plan.LocalFolder;
        foreach (var name in relative.Split('/').SkipLast(1))
        {
            at = Path.Join(at, name);
            var info = new DirectoryInfo(at);
            if (info.LinkTarget is not null || (!info.Exists && File.Exists(at)))
            {
                throw new IOException($"'{at}' is a link or a file, not a folder; sync does not write through links (remove it, or use --delete)");
            }
        }
    }

    private static void DeleteLocal(SyncPlan plan, string relative)
    {
        RefuseLinksOnTheWay(plan, relative);
        var full = plan.LocalOf(relative);
        var info = new FileInfo(full);
        if (info.LinkTarget is not null || info.Exists) File.Delete(full); // a link itself, never its target
        else if (Directory.Exists(full)) Directory.Delete(full, recursive: true); // removes links inside, not what they point to
    }

    private static void CreateLocalFolder(SyncPlan plan, string relative)
    {
        RefuseLinksOnTheWay(plan, relative);
        Directory.CreateDirectory(plan.LocalOf(relative));
    }
}

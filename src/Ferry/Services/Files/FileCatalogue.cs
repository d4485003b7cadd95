using System.Text.Json;
using Ferry.Protocol;
using Ferry.Server;
using Ferry.Transfers;

namespace Ferry.Services.Files;

/// <summary>The catalogue operations: <c>file.list</c>, <c>file.stat</c>, <c>file.remove</c> and <c>file.mkdir</c>.</summary>
internal sealed class FileCatalogue(FilesOptions options, Func<FileSandbox> sandbox)
{
    public async ValueTask ListAsync(ServerRequest request, FileRequestScope scope)
    {
        var list = request.Read(FilesJsonContext.Default.FilePathRequest);
        scope.Path = FileSandbox.RequirePath(list.Path, MessageTypes.FileList);
        var target = sandbox().Resolve(list.Path);
        var entries = new List<FileEntry>();
        if (File.Exists(target.RealPath))
        {
            entries.Add(Describe(new FileInfo(target.RealPath), Path.GetFileName(target.EntryPath)));
        }
        else if (Directory.Exists(target.RealPath))
        {
            CollectEntries(target.RealPath, list.Recursive, entries, list.Path);
        }
        else
        {
            throw new FerryException(ProtocolError.NotFound, $"no such file or folder: '{FileSandbox.Printable(list.Path)}'");
        }
        var body = JsonSerializer.SerializeToUtf8Bytes(new FileListing { Path = list.Path, Entries = entries }, FilesJsonContext.Default.FileListing);
        await request.Connection.SendAsync<object>(MessageTypes.FileList, request.Id, null, null, body, request.CancellationToken).ConfigureAwait(false);
    }

    // Walks without following links into folders (a link is listed as 'link'), up to the entry limit.
    private void CollectEntries(string folder, bool recursive, List<FileEntry> entries, string remotePath)
    {
        var pending = new Stack<(string Path, string Prefix)>();
        pending.Push((folder, ""));
        while (pending.Count > 0)
        {
            var (path, prefix) = pending.Pop();
            var children = new DirectoryInfo(path).EnumerateFileSystemInfos("*", new EnumerationOptions
            {
                IgnoreInaccessible = true,
                AttributesToSkip = 0,
                RecurseSubdirectories = false,
            }).OrderBy(i => i.Name, StringComparer.Ordinal);
            foreach (var child in children)
            {
                if (entries.Count >= options.MaxListEntries)
                {
                    throw new FerryException(ProtocolError.Busy, $"'{FileSandbox.Printable(remotePath)}' has more than {options.MaxListEntries} entries; list a smaller folder");
                }
                var entry = Describe(child, prefix + child.Name);
                entries.Add(entry);
                if (recursive && entry.Kind == FileKinds.Directory) pending.Push((child.FullName, entry.Name + "/"));
            }
        }
    }

    public async ValueTask StatAsync(ServerRequest request, FileRequestScope scope)
    {
        var stat = request.Read(FilesJsonContext.Default.FilePathRequest);
        scope.Path = FileSandbox.RequirePath(stat.Path, MessageTypes.FileStat);
        var target = sandbox().Resolve(stat.Path);
        FileSystemInfo info = Directory.Exists(target.RealPath) ? new DirectoryInfo(target.RealPath) : new FileInfo(target.RealPath);
        if (!info.Exists) throw new FerryException(ProtocolError.NotFound, $"no such file or folder: '{FileSandbox.Printable(stat.Path)}'");
        var entry = Describe(info, target.IsRoot ? "" : Path.GetFileName(target.EntryPath));
        await request.Connection.SendAsync(MessageTypes.FileStat, request.Id, entry, FilesJsonContext.Default.FileEntry, request.CancellationToken).ConfigureAwait(false);
    }

    public async ValueTask RemoveAsync(ServerRequest request, FileRequestScope scope)
    {
        var remove = request.Read(FilesJsonContext.Default.FilePathRequest);
        scope.Path = FileSandbox.RequirePath(remove.Path, MessageTypes.FileRemove);
        var target = sandbox().Resolve(remove.Path);
        var shown = FileSandbox.Printable(remove.Path);
        if (target.IsRoot) throw FileSandbox.Bad(remove.Path, "the root folder itself cannot be removed");
        var entry = new FileInfo(target.EntryPath);
        if (entry.LinkTarget is not null)
        {
            entry.Delete(); // the link, never what it points to
        }
        else if (Directory.Exists(target.EntryPath))
        {
            if (!remove.Recursive && Directory.EnumerateFileSystemEntries(target.EntryPath).Any())
            {
                throw new FerryException(ProtocolError.BadRequest, $"'{shown}' is a folder that is not empty; set 'recursive' to remove it with its contents");
            }
            Directory.Delete(target.EntryPath, recursive: remove.Recursive);
        }
        else if (entry.Exists)
        {
            entry.Delete();
        }
        else
        {
            throw new FerryException(ProtocolError.NotFound, $"no such file or folder: '{shown}'");
        }
        await request.Connection.SendAsync(MessageTypes.Ok, request.Id, request.CancellationToken).ConfigureAwait(false);
    }

    public async ValueTask MakeDirectoryAsync(ServerRequest request, FileRequestScope scope)
    {
        var mkdir = request.Read(FilesJsonContext.Default.FilePathRequest);
        scope.Path = FileSandbox.RequirePath(mkdir.Path, MessageTypes.FileMkdir);
        var target = sandbox().Resolve(mkdir.Path);
        var shown = FileSandbox.Printable(mkdir.Path);
        if (Directory.Exists(target.RealPath))
        {
            if (!mkdir.Parents) throw new FerryException(ProtocolError.AlreadyExists, $"'{shown}' already exists");
        }
        else if (File.Exists(target.RealPath))
        {
            throw new FerryException(ProtocolError.AlreadyExists, $"'{shown}' already exists and is a file");
        }
        else
        {
            if (!mkdir.Parents && !Directory.Exists(Path.GetDirectoryName(target.RealPath)))
            {
                throw new FerryException(ProtocolError.NotFound, $"the folder that would hold '{shown}' does not exist; use -p to create it too");
            }
            Directory.CreateDirectory(target.RealPath);
        }
        await request.Connection.SendAsync(MessageTypes.Ok, request.Id, request.CancellationToken).ConfigureAwait(false);
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
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Ferry.Protocol;
using Ferry.Server;

namespace Ferry.Services.Files;

/// <summary>
/// File transfer inside one sandboxed folder (docs/protocol.md §5.4): verified, resumable uploads and downloads,
/// listings, stat, remove and mkdir. Data is hashed while it streams and takes its final name only after the
/// sender's SHA-256 matches; until then it lives in a <c>.part</c> file beside the target.
/// </summary>
public sealed class FilesService : IFerryService
{
    private const int DefaultFileMode = 0x1A4; // 0644
    private const UnixFileMode PartFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly FilesOptions _options;
    private readonly Lazy<FileSandbox> _sandbox;
    // Part files being written by any connection: a second upload to the same .part gets 'busy', not mixed data.
    // The value completes when that upload lets go of its .part.
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _activeParts = new(StringComparer.Ordinal);

    /// <param name="options">The service's settings.</param>
    /// <param name="dataDirectory">The server's state folder; the default root is its <c>files/</c>.</param>
    public FilesService(FilesOptions options, string dataDirectory)
    {
        _options = options;
        var root = options.Root ?? Path.Combine(dataDirectory, "files");
        _sandbox = new Lazy<FileSandbox>(() => new FileSandbox(root), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The sandbox (created, with its root folder, on first use).</summary>
    public FileSandbox Sandbox => _sandbox.Value;

    /// <summary>
    /// Deletes upload <c>.part</c> files under the root last written before <paramref name="cutoffUtc"/> that no upload
    /// holds (each is claimed while it is checked, so an upload starting at that moment gets <c>busy</c>, not a file
    /// pulled from under it). Links are neither followed nor removed. Returns how many files and bytes went.
    /// </summary>
    public (int Count, long Bytes) SweepStaleParts(DateTime cutoffUtc, CancellationToken cancellationToken = default)
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
            var claim = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_activeParts.TryAdd(file.FullName, claim)) continue;
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
            finally
            {
                ReleasePart(file.FullName, claim);
            }
        }
        return (count, bytes);
    }

    // Lets go of a .part claimed in _activeParts, waking anyone waiting to take it over (a resume on a new connection).
    private void ReleasePart(string partPath, TaskCompletionSource claim)
    {
        _activeParts.TryRemove(new KeyValuePair<string, TaskCompletionSource>(partPath, claim));
        claim.TrySetResult();
    }

    public ValueTask HandleAsync(ServerRequest request) => request.Type switch
    {
        MessageTypes.FilePut => PutAsync(request),
        MessageTypes.FileData => DataAsync(request),
        MessageTypes.FileDone => DoneAsync(request),
        MessageTypes.FileGet => GetAsync(request),
        MessageTypes.FileList => ListAsync(request),
        MessageTypes.FileStat => StatAsync(request),
        MessageTypes.FileRemove => RemoveAsync(request),
        MessageTypes.FileMkdir => MakeDirectoryAsync(request),
        _ => throw new FerryException(ProtocolError.UnknownType, $"the file service does not handle '{request.Type}'"),
    };

    private async ValueTask PutAsync(ServerRequest request)
    {
        request.RequireId();
        var put = request.Read(FilesJsonContext.Default.FilePutRequest);
        if (put.Length < 0) throw new FerryException(ProtocolError.BadRequest, "file.put 'length' must not be negative");
        if (put.Mode is < 0 or > FileMetadata.PermissionMask) throw new FerryException(ProtocolError.BadRequest, "file.put 'mode' must be 0-0777");
        var uploads = request.Session.GetFeature(_ => new UploadTable());
        if (uploads.Contains(request.Id)) throw new FerryException(ProtocolError.DuplicateId, $"request id {request.Id} already has an upload open");
        if (uploads.Count >= _options.MaxUploadsPerConnection)
        {
            throw new FerryException(ProtocolError.Busy, $"this connection already has {_options.MaxUploadsPerConnection} uploads open; finish one first");
        }
        var target = Sandbox.Resolve(put.Path);
        if (target.IsRoot) throw FileSandbox.Bad(put.Path, "that is the root folder; name a file inside it");
        var name = Path.GetFileName(target.RealPath);
        if (name.EndsWith(PartNames.Suffix, StringComparison.OrdinalIgnoreCase))
        {
            throw FileSandbox.Bad(put.Path, $"names ending in '{PartNames.Suffix}' are reserved for partial transfers");
        }
        string key;
        if (put.Key is { } given)
        {
            if (!PartNames.IsValidKey(given)) throw new FerryException(ProtocolError.BadRequest, "file.put 'key' must be 8-32 lower-case hex digits");
            key = given;
        }
        else
        {
            if (put.Resume) throw new FerryException(ProtocolError.BadRequest, "file.put with 'resume' needs the 'key' of the earlier upload");
            key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        }

        string partPath;
        PartFileWriter writer;
        try
        {
            if (Directory.Exists(target.RealPath)) throw new FerryException(ProtocolError.AlreadyExists, $"'{FileSandbox.Printable(put.Path)}' is a folder");
            if (File.Exists(target.RealPath) && !put.Force)
            {
                throw new FerryException(ProtocolError.AlreadyExists, $"'{FileSandbox.Printable(put.Path)}' already exists; use --force to overwrite it");
            }
            var parent = Path.GetDirectoryName(target.RealPath)!;
            Directory.CreateDirectory(parent);
            partPath = Path.Join(parent, PartNames.ForUpload(name, key));
        }
        catch (Exception ex) when (ex is not FerryException)
        {
            throw FileErrors.Map(ex, put.Path);
        }
        var claim = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_activeParts.TryAdd(partPath, claim))
        {
            if (put.Resume && _activeParts.TryGetValue(partPath, out var holder))
            {
                // A client that lost its connection and resumes at once may beat the server noticing the drop:
                // give the old connection a moment to close its copy of the .part.
                await holder.Task.WaitAsync(TimeSpan.FromSeconds(5), request.CancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            if (!_activeParts.TryAdd(partPath, claim))
            {
                throw new FerryException(ProtocolError.Busy, $"the same upload of '{FileSandbox.Printable(put.Path)}' is already in progress on another connection");
            }
        }
        void Release() => ReleasePart(partPath, claim);
        FileStream? file = null;
        IncrementalHash? hash = null;
        bool handedOver = false; // once the writer owns the file, the upload's disposal releases the claim
        try
        {
            var partOptions = new FileStreamOptions
            {
                Mode = put.Resume ? FileMode.OpenOrCreate : FileMode.Create,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                BufferSize = 0,
            };
            if (!OperatingSystem.IsWindows()) partOptions.UnixCreateMode = PartFileMode;
            file = new FileStream(partPath, partOptions);
            hash = Sha256Hex.Create();
            long offset = 0;
            string? prefix = null;
            if (put.Resume && file.Length > 0 && file.Length <= put.Length)
            {
                // The bytes already here count towards the final hash; the client checks them against its own.
                await Sha256Hex.AppendPrefixAsync(hash, file, file.Length, request.CancellationToken).ConfigureAwait(false);
                offset = file.Length;
                prefix = Sha256Hex.Of(hash);
            }
            else
            {
                file.SetLength(0);
            }
            file.Position = offset;
            writer = new PartFileWriter(file, hash);
            file = null;
            hash = null;
            handedOver = true;
            var upload = new Upload(put, target.RealPath, partPath, writer, Release);
            if (!uploads.TryAdd(request.Id, upload))
            {
                await upload.DisposeAsync().ConfigureAwait(false);
                throw new FerryException(ProtocolError.DuplicateId, $"request id {request.Id} already has an upload open");
            }
            await request.Connection.SendAsync(MessageTypes.FileReady, request.Id,
                new FileReady { Offset = offset, PrefixSha256 = prefix, Length = put.Length }, FilesJsonContext.Default.FileReady,
                request.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not FerryException)
        {
            if (file is not null) await file.DisposeAsync().ConfigureAwait(false);
            hash?.Dispose();
            if (!handedOver) Release();
            if (ex is IOException && File.Exists(partPath) && !FileErrors.IsDiskFull((IOException)ex) && IsLockConflict(ex))
            {
                throw new FerryException(ProtocolError.Busy, $"the same upload of '{FileSandbox.Printable(put.Path)}' is already in progress", ex);
            }
            throw FileErrors.Map(ex, put.Path);
        }
    }

    private async ValueTask DataAsync(ServerRequest request)
    {
        var uploads = request.Session.GetFeature(_ => new UploadTable());
        var upload = uploads.Get(request.Id)
            ?? throw new FerryException(ProtocolError.NotFound, $"no upload is open for request id {request.Id}; send file.put first");
        var data = request.Read(FilesJsonContext.Default.FileData);
        var writer = upload.Writer;
        var body = request.Body;
        try
        {
            if (data.Offset == 0 && writer.Position != 0)
            {
                // The client found the kept prefix did not match its file and starts over.
                await writer.RestartAsync(request.CancellationToken).ConfigureAwait(false);
            }
            if (data.Offset != writer.Position)
            {
                throw new FerryException(ProtocolError.BadRequest, $"file.data for '{FileSandbox.Printable(upload.Request.Path)}' starts at byte {data.Offset}, but {writer.Position} are written");
            }
            if (writer.Position + body.Length > upload.Request.Length)
            {
                throw new FerryException(ProtocolError.BadRequest, $"file.data for '{FileSandbox.Printable(upload.Request.Path)}' goes past its announced size of {upload.Request.Length} bytes");
            }
            while (body.Remaining > 0)
            {
                var chunk = await body.ReadAtLeastAsync(PartFileWriter.BatchBytes, request.CancellationToken).ConfigureAwait(false);
                await writer.WriteAsync(chunk, request.CancellationToken).ConfigureAwait(false);
                body.Advance(chunk.Length);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The upload is over; its .part stays for --resume. Later file.data frames for it get not_found.
            uploads.Remove(request.Id);
            await upload.DisposeAsync().ConfigureAwait(false);
            throw FileErrors.Map(ex, upload.Request.Path);
        }
    }

    private async ValueTask DoneAsync(ServerRequest request)
    {
        var done = request.Read(FilesJsonContext.Default.FileDone);
        var uploads = request.Session.GetFeature(_ => new UploadTable());
        var upload = uploads.Remove(request.Id)
            ?? throw new FerryException(ProtocolError.NotFound, $"no upload is open for request id {request.Id}");
        var put = upload.Request;
        var shown = FileSandbox.Printable(put.Path);
        string actual;
        try
        {
            if (done.Abort)
            {
                await upload.DisposeAsync().ConfigureAwait(false);
                await request.Connection.SendAsync(MessageTypes.Ok, request.Id, request.CancellationToken).ConfigureAwait(false);
                return;
            }
            actual = await upload.Writer.CompleteAsync(request.CancellationToken).ConfigureAwait(false);
            long received = upload.Writer.Position;
            await upload.DisposeAsync().ConfigureAwait(false);
            if (received != put.Length)
            {
                throw new FerryException(ProtocolError.BadRequest, $"'{shown}' ended after {received} of {put.Length} bytes; the partial file was kept for --resume");
            }
            if (!Sha256Hex.Same(actual, done.Sha256))
            {
                File.Delete(upload.PartPath);
                throw new FerryException(ProtocolError.HashMismatch,
                    $"'{shown}' arrived damaged (SHA-256 {actual[..16]}… ≠ sent {(done.Sha256 is { Length: >= 16 } s ? s[..16] : done.Sha256 ?? "nothing")}…); it was discarded, nothing was written under its name");
            }
            FileMetadata.Apply(upload.PartPath, put.Mtime, put.Mode ?? DefaultFileMode);
            try
            {
                File.Move(upload.PartPath, upload.TargetPath, overwrite: put.Force);
            }
            catch (IOException) when (!put.Force && File.Exists(upload.TargetPath))
            {
                throw new FerryException(ProtocolError.AlreadyExists, $"'{shown}' appeared while uploading; use --force to overwrite it (the upload is kept for --resume)");
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await upload.DisposeAsync().ConfigureAwait(false);
            throw FileErrors.Map(ex, put.Path);
        }
        await request.Connection.SendAsync(MessageTypes.Ok, request.Id, new FileResult { Path = put.Path, Length = put.Length, Sha256 = actual },
            FilesJsonContext.Default.FileResult, request.CancellationToken).ConfigureAwait(false);
    }

    private ValueTask GetAsync(ServerRequest request)
    {
        request.RequireId();
        var get = request.Read(FilesJsonContext.Default.FileGetRequest);
        var target = Sandbox.Resolve(get.Path);
        FileStream file;
        try
        {
            if (Directory.Exists(target.RealPath))
            {
                throw new FerryException(ProtocolError.BadRequest, $"'{FileSandbox.Printable(get.Path)}' is a folder; use -r to copy folders");
            }
            file = new FileStream(target.RealPath, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                BufferSize = 0,
                Options = FileOptions.SequentialScan,
            });
        }
        catch (Exception ex) when (ex is not FerryException)
        {
            throw FileErrors.Map(ex, get.Path);
        }
        var connection = request.Connection;
        long id = request.Id;
        try
        {
            request.Session.StartBackground(id, async ct =>
            {
                await using var _ = file.ConfigureAwait(false);
                try
                {
                    await SendFileAsync(connection, id, file, target.RealPath, get, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && !connection.Closed.IsCancellationRequested)
                {
                    throw FileErrors.Map(ex, get.Path);
                }
            });
        }
        catch
        {
            file.Dispose();
            throw;
        }
        return ValueTask.CompletedTask;
    }

    private static async Task SendFileAsync(Connections.FrameConnection connection, long id, FileStream file, string path, FileGetRequest get, CancellationToken ct)
    {
        long size = file.Length;
        var hash = Sha256Hex.Create();
        try
        {
            long offset = 0;
            if (get.Offset > 0 && get.Offset <= size && get.PrefixSha256 is not null)
            {
                // Resume only if the client's partial copy is really the start of this file.
                await Sha256Hex.AppendPrefixAsync(hash, file, get.Offset, ct).ConfigureAwait(false);
                if (Sha256Hex.Same(Sha256Hex.Of(hash), get.PrefixSha256))
                {
                    offset = get.Offset;
                }
                else
                {
                    hash.Dispose();
                    hash = Sha256Hex.Create();
                }
            }
            file.Position = offset;
            await connection.SendAsync(MessageTypes.FileReady, id, new FileReady
            {
                Offset = offset,
                Length = size,
                Mtime = FileMetadata.ToUnixMilliseconds(File.GetLastWriteTimeUtc(path)),
                Mode = FileMetadata.ModeOf(path),
            }, FilesJsonContext.Default.FileReady, ct).ConfigureAwait(false);
            await FileDataSender.SendAsync(connection, id, file.SafeFileHandle, offset, size - offset, hash, cancellationToken: ct).ConfigureAwait(false);
            await connection.SendAsync(MessageTypes.FileDone, id, new FileDone { Sha256 = Sha256Hex.Of(hash) }, FilesJsonContext.Default.FileDone, ct).ConfigureAwait(false);
        }
        finally
        {
            hash.Dispose();
        }
    }

    private async ValueTask ListAsync(ServerRequest request)
    {
        var list = request.Read(FilesJsonContext.Default.FilePathRequest);
        var target = Sandbox.Resolve(list.Path);
        var entries = new List<FileEntry>();
        try
        {
            if (File.Exists(target.RealPath))
            {
                entries.Add(FileMetadata.Describe(new FileInfo(target.RealPath), Path.GetFileName(target.EntryPath)));
            }
            else if (Directory.Exists(target.RealPath))
            {
                CollectEntries(target.RealPath, list.Recursive, entries, list.Path);
            }
            else
            {
                throw new FerryException(ProtocolError.NotFound, $"no such file or folder: '{FileSandbox.Printable(list.Path)}'");
            }
        }
        catch (Exception ex) when (ex is not FerryException)
        {
            throw FileErrors.Map(ex, list.Path);
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
                if (entries.Count >= _options.MaxListEntries)
                {
                    throw new FerryException(ProtocolError.Busy, $"'{FileSandbox.Printable(remotePath)}' has more than {_options.MaxListEntries} entries; list a smaller folder");
                }
                var entry = FileMetadata.Describe(child, prefix + child.Name);
                entries.Add(entry);
                if (recursive && entry.Kind == FileKinds.Directory) pending.Push((child.FullName, entry.Name + "/"));
            }
        }
    }

    private async ValueTask StatAsync(ServerRequest request)
    {
        var stat = request.Read(FilesJsonContext.Default.FilePathRequest);
        var target = Sandbox.Resolve(stat.Path);
        FileEntry entry;
        try
        {
            FileSystemInfo info = Directory.Exists(target.RealPath) ? new DirectoryInfo(target.RealPath) : new FileInfo(target.RealPath);
            if (!info.Exists) throw new FerryException(ProtocolError.NotFound, $"no such file or folder: '{FileSandbox.Printable(stat.Path)}'");
            entry = FileMetadata.Describe(info, target.IsRoot ? "" : Path.GetFileName(target.EntryPath));
        }
        catch (Exception ex) when (ex is not FerryException)
        {
            throw FileErrors.Map(ex, stat.Path);
        }
        await request.Connection.SendAsync(MessageTypes.FileStat, request.Id, entry, FilesJsonContext.Default.FileEntry, request.CancellationToken).ConfigureAwait(false);
    }

    private async ValueTask RemoveAsync(ServerRequest request)
    {
        var remove = request.Read(FilesJsonContext.Default.FilePathRequest);
        var target = Sandbox.Resolve(remove.Path);
        var shown = FileSandbox.Printable(remove.Path);
        if (target.IsRoot) throw FileSandbox.Bad(remove.Path, "the root folder itself cannot be removed");
        try
        {
            var entry = new FileInfo(target.EntryPath);
            if (entry.LinkTarget is not null)
            {
                entry.Delete(); // the link, never what it points to
            }
            else if (Directory.Exists(target.EntryPath))
            {
                if (!remove.Recursive && Directory.EnumerateFileSystemEntries(target.EntryPath).Any())
                {
                    throw new FerryException(ProtocolError.BadRequest, $"'{shown}' is a folder that is not empty; use -r to remove it with its contents");
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
        }
        catch (Exception ex) when (ex is not FerryException)
        {
            throw FileErrors.Map(ex, remove.Path);
        }
        await request.Connection.SendAsync(MessageTypes.Ok, request.Id, request.CancellationToken).ConfigureAwait(false);
    }

    private async ValueTask MakeDirectoryAsync(ServerRequest request)
    {
        var mkdir = request.Read(FilesJsonContext.Default.FilePathRequest);
        var target = Sandbox.Resolve(mkdir.Path);
        var shown = FileSandbox.Printable(mkdir.Path);
        try
        {
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
        }
        catch (Exception ex) when (ex is not FerryException)
        {
            throw FileErrors.Map(ex, mkdir.Path);
        }
        await request.Connection.SendAsync(MessageTypes.Ok, request.Id, request.CancellationToken).ConfigureAwait(false);
    }

    private static bool IsLockConflict(Exception ex) =>
        ex.Message.Contains("being used by another process", StringComparison.OrdinalIgnoreCase);
}

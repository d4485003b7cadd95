using System.Security.Cryptography;
using Ferry.Protocol;
using Ferry.Server;
using Ferry.Transfers;
using Ferry.Contracts.Files;

namespace Ferry.Services.Files;

/// <summary>
/// Uploads (<c>file.put</c>, <c>file.data</c>, <c>file.done</c>): data streams into a <c>.part</c> beside the target,
/// hashed as it arrives, and takes the final name only after the sender's SHA-256 matches.
/// </summary>
internal sealed class FileUploads(FilesOptions options, Func<FileRoot> root, FileIo io, PartClaims claims)
{
    private const int DefaultFileMode = 0x1A4; // 0644
    private const UnixFileMode PartFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // How long a resume waits for the same upload's old connection to let go of the .part.
    private static readonly TimeSpan s_takeOverPatience = TimeSpan.FromSeconds(5);

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The claim and the place go to the Upload, which the connection's upload table owns (disposed when the file is done, aborted or the connection ends); before that, the catch disposes them, and an Upload the table refuses is disposed at once.")]
    public async ValueTask PutAsync(RequestContext request, FileRequestScope scope)
    {
        var put = request.Read(FilesJsonContext.Default.FilePutRequest);
        scope.Path = FileSandbox.RequirePath(put.Path, MessageTypes.FilePut);
        if (put.Length < 0) throw new FerryException(ProtocolError.BadRequest, "file.put 'length' must not be negative");
        if (put.Mode is < 0 or > FileMetadata.PermissionMask) throw new FerryException(ProtocolError.BadRequest, "file.put 'mode' must be 0-0777");
        if (put.Mtime < FileMetadata.MinUnixMilliseconds || put.Mtime > FileMetadata.MaxUnixMilliseconds)
        {
            throw new FerryException(ProtocolError.BadRequest, $"file.put 'mtime' must be Unix milliseconds between {FileMetadata.MinUnixMilliseconds} and {FileMetadata.MaxUnixMilliseconds} (years 1-9999)");
        }
        var uploads = request.GetState(UploadTable.Key);
        var whole = request.GetState(s_whole);
        if (uploads.Count + whole.Count >= options.MaxUploadsPerConnection)
        {
            throw new FerryException(ProtocolError.Busy, $"this connection already has {options.MaxUploadsPerConnection} uploads open; finish one first");
        }
        if (put.Delta is { } delta)
        {
            if (put.Sha256 is not null) throw new FerryException(ProtocolError.BadRequest, "file.put cannot carry both 'sha256' (a whole file) and 'delta'");
            if (!BlockSignature.Fits(delta.Length, delta.BlockSize))
            {
                throw new FerryException(ProtocolError.BadRequest, $"file.put 'delta' must have a 'blockSize' of {BlockSignature.MinBlockBytes}-{BlockSignature.MaxBlockBytes} and a 'length' of at most {BlockSignature.MaxBlocks} blocks");
            }
        }
        if (put.Sha256 is not null)
        {
            await PutWholeAsync(request, put, whole).ConfigureAwait(false);
            return;
        }
        string key = KeyOf(put);
        var path = put.Path;
        var shown = FileSandbox.Printable(path);
        // Checked, parent folders created and the folder held (by descriptor on Linux) in one step, off the read loop.
        var place = await io.RunAsync(() => root().PrepareUpload(path, put.Force), request.CancellationToken).ConfigureAwait(false);
        var partName = PartNames.ForUpload(place.Name, key);
        PartClaims.Claim? claim = null;
        PartFile part;
        Microsoft.Win32.SafeHandles.SafeFileHandle? basis = null;
        try
        {
            if (put.Delta is { } basisWanted)
            {
                // The basis is the file under the final name, opened through the sandbox like a download.
                basis = (await io.RunAsync(() => root().OpenRead(path), request.CancellationToken).ConfigureAwait(false)).Handle;
                long now = RandomAccess.GetLength(basis);
                if (now != basisWanted.Length)
                {
                    throw new FerryException(ProtocolError.BadRequest, $"'{shown}' is {now} bytes now, not the {basisWanted.Length} its signature described; ask for a new file.sig");
                }
            }
            var partKey = place.ClaimKey(partName);
            claim = put.Resume
                ? await claims.ClaimAsync(partKey, s_takeOverPatience, request.Time, request.CancellationToken).ConfigureAwait(false)
                : claims.TryClaim(partKey);
            if (claim is null) throw new FerryException(ProtocolError.Busy, $"the same upload of '{shown}' is already in progress on another connection");
            var handle = await io.RunAsync(() => place.OpenPart(partName, PartFileMode), request.CancellationToken).ConfigureAwait(false);
            // A delta rebuilds from byte 0: it never builds on a kept prefix.
            part = await PartFile.AdoptAsync(handle, put.Resume && put.Delta is null, keepAtMost: put.Length, request.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            basis?.Dispose();
            claim?.Dispose();
            place.Dispose();
            if (FileErrors.IsLockConflict(ex))
            {
                throw new FerryException(ProtocolError.Busy, $"the same upload of '{shown}' is already in progress", ex);
            }
            throw;
        }
        var upload = new Upload(put, place, partName, part, claim, basis);
        if (!uploads.TryAdd(request.Id, upload))
        {
            await upload.DisposeAsync().ConfigureAwait(false);
            throw new FerryException(ProtocolError.DuplicateId, $"request id {request.Id} already has an upload open");
        }
        await request.SendAsync(MessageTypes.FileReady,
            new FileReady
            {
                Offset = part.Position,
                PrefixSha256 = part.PrefixSha256,
                Length = put.Length,
                Compress = upload.Decompressor is null ? null : FileCompression.Zstd,
            }, FilesJsonContext.Default.FileReady,
            request.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A <c>file.put</c> that carries the whole file (with its <c>sha256</c>) in its body: read on the read loop, then
    /// checked, written, verified and renamed in the background, so a tree of small files costs one frame each way per
    /// file and many are in flight at once. The slot is given back before <c>ok</c> is sent, so a client that keeps at
    /// most <see cref="FilesOptions.MaxUploadsPerConnection"/> unanswered uploads is never told <c>busy</c>.
    /// </summary>
    private async ValueTask PutWholeAsync(RequestContext request, FilePutRequest put, WholeUploads whole)
    {
        var shown = FileSandbox.Printable(put.Path);
        if (put.Length > FileLimits.InlineBytes)
        {
            throw new FerryException(ProtocolError.BadRequest, $"file.put with 'sha256' carries the whole file in its body, at most {FileLimits.InlineBytes} bytes; stream '{shown}' ({put.Length} bytes) instead: file.put without 'sha256', then file.data");
        }
        if (put.Zstd is { } claimed)
        {
            if (claimed != put.Length)
            {
                throw new FerryException(ProtocolError.BadRequest, $"file.put with 'sha256' and 'zstd' carries the whole file compressed: 'zstd' must be 'length' ({put.Length}), not {claimed}");
            }
        }
        else if (request.Body.Length != put.Length)
        {
            throw new FerryException(ProtocolError.BadRequest, $"file.put with 'sha256' must carry exactly 'length' ({put.Length}) bytes of '{shown}' in its body, not {request.Body.Length}");
        }
        if (!Sha256Hex.IsValid(put.Sha256))
        {
            throw new FerryException(ProtocolError.BadRequest, "file.put 'sha256' must be 64 hex digits");
        }
        var bytes = put.Zstd is null
            ? await request.Body.ReadAllAsync(FileLimits.InlineBytes, request.CancellationToken).ConfigureAwait(false)
            : await ReadCompressedWholeAsync(request, put, shown).ConfigureAwait(false);
        var transfers = request.Session.Stats.Counter(ServerStats.TransfersInProgress);
        whole.Take();
        transfers.Increment();
        try
        {
            request.StartBackground(async ct =>
            {
                string actual;
                try
                {
                    actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
                    if (!Sha256Hex.Same(actual, put.Sha256))
                    {
                        throw new FerryException(ProtocolError.HashMismatch,
                            $"'{shown}' arrived damaged (SHA-256 {actual[..16]}… ≠ sent {put.Sha256![..16]}…); nothing was written under its name");
                    }
                    await io.RunAsync(() => WriteWhole(put, bytes), ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (FileErrors.IsFileSystemFailure(ex))
                {
                    throw FileErrors.Map(ex, put.Path);
                }
                finally
                {
                    transfers.Decrement();
                    whole.Return();
                }
                // The id is free once its answer arrives (protocol.md §3.3): the reply frees it before it is sent.
                await request.ReplyAsync(MessageTypes.Ok, new FileResult { Path = put.Path, Length = put.Length, Sha256 = actual },
                    FilesJsonContext.Default.FileResult, ct).ConfigureAwait(false);
            });
        }
        catch
        {
            transfers.Decrement();
            whole.Return();
            throw;
        }
    }

    // A whole file sent compressed: the claim and the body's size checked first, then decompressed into at most 'length'.
    private static async ValueTask<byte[]> ReadCompressedWholeAsync(RequestContext request, FilePutRequest put, string shown)
    {
        using var decompressor = new BodyDecompressor();
        try
        {
            BodyDecompressor.Check(request.Body.Length, put.Length);
            var body = await request.Body.ReadAtLeastAsync((int)request.Body.Length, request.CancellationToken).ConfigureAwait(false);
            var bytes = decompressor.Decompress(body, put.Length).ToArray();
            request.Body.Advance(body.Length);
            return bytes;
        }
        catch (CompressedBodyException ex)
        {
            throw new FerryException(ProtocolError.BadRequest, $"file.put of '{shown}' was refused: {ex.Message}; nothing was written under its name");
        }
    }

    // The same steps as a streamed upload, in one go: a .part under a fresh key, then the checked rename.
    private void WriteWhole(FilePutRequest put, byte[] bytes)
    {
        using var place = root().PrepareUpload(put.Path, put.Force);
        var partName = PartNames.ForUpload(place.Name, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        using var claim = claims.TryClaim(place.ClaimKey(partName))
            ?? throw new FerryException(ProtocolError.Busy, $"the same upload of '{FileSandbox.Printable(put.Path)}' is already in progress");
        try
        {
            using (var handle = place.OpenPart(partName, PartFileMode))
            {
                RandomAccess.Write(handle, bytes, 0);
            }
            place.Commit(partName, put.Mtime, put.Mode ?? DefaultFileMode, put.Force, put.Path);
        }
        catch
        {
            place.DeletePart(partName);
            throw;
        }
    }

    // Whole-file uploads being written on one connection (they share the per-connection upload cap with streamed ones).
    private static readonly ConnectionState<WholeUploads> s_whole = new(static _ => new WholeUploads());

    private sealed class WholeUploads
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Take() => Interlocked.Increment(ref _count);

        public void Return() => Interlocked.Decrement(ref _count);
    }

    private static string KeyOf(FilePutRequest put)
    {
        if (put.Key is { } given)
        {
            if (!PartNames.IsValidKey(given)) throw new FerryException(ProtocolError.BadRequest, "file.put 'key' must be 8-32 lower-case hex digits");
            return given;
        }
        if (put.Resume) throw new FerryException(ProtocolError.BadRequest, "file.put with 'resume' needs the 'key' of the earlier upload");
        return Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    }

    public async ValueTask DataAsync(RequestContext request, FileRequestScope scope)
    {
        var uploads = request.GetState(UploadTable.Key);
        var upload = uploads.Get(request.Id)
            ?? throw new FerryException(ProtocolError.NotFound, $"no upload is open for request id {request.Id}; send file.put first");
        scope.Path = upload.Request.Path;
        var data = request.Read(FilesJsonContext.Default.FileData);
        var part = upload.Part;
        var body = request.Body;
        try
        {
            if (data.Zstd is { } claimed)
            {
                await WriteCompressedAsync(upload, data.Offset, claimed, body, request.CancellationToken).ConfigureAwait(false);
                return;
            }
            if (upload.Delta is { } applier)
            {
                await ApplyDeltaAsync(applier, body, upload.Request.Path, request.CancellationToken).ConfigureAwait(false);
                return;
            }
            if (data.Offset == 0 && part.Position != 0)
            {
                // The client found the kept prefix did not match its file and starts over.
                await part.RestartAsync(request.CancellationToken).ConfigureAwait(false);
            }
            if (data.Offset != part.Position)
            {
                throw new FerryException(ProtocolError.BadRequest, $"file.data for '{FileSandbox.Printable(upload.Request.Path)}' starts at byte {data.Offset}, but {part.Position} are written");
            }
            // Subtracted, not added: Position is at most Length, so this cannot overflow whatever 'size' the frame claims.
            if (body.Length > upload.Request.Length - part.Position)
            {
                throw new FerryException(ProtocolError.BadRequest, $"file.data for '{FileSandbox.Printable(upload.Request.Path)}' goes past its announced size of {upload.Request.Length} bytes");
            }
            while (body.Remaining > 0)
            {
                var chunk = await body.ReadAtLeastAsync(PartFile.BatchBytes, request.CancellationToken).ConfigureAwait(false);
                await part.WriteAsync(chunk, request.CancellationToken).ConfigureAwait(false);
                body.Advance(chunk.Length);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The upload is over; its .part stays for --resume. Later file.data frames for it get not_found.
            uploads.Remove(request.Id);
            await upload.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // A compressed body: its claim checked before a byte is read, read whole (at most a chunk), decompressed into at
    // most what it claims, then written (or, for a delta, checked and carried out) like an uncompressed one.
    private static async ValueTask WriteCompressedAsync(Upload upload, long offset, int claimed, Ferry.Connections.FrameBodyReader body, CancellationToken cancellationToken)
    {
        var path = upload.Request.Path;
        var shown = FileSandbox.Printable(path);
        var decompressor = upload.Decompressor
            ?? throw new FerryException(ProtocolError.BadRequest, $"file.data for '{shown}' is compressed ('zstd'), but the upload did not ask for 'compress'");
        var part = upload.Part;
        ReadOnlyMemory<byte> bytes;
        try
        {
            BodyDecompressor.Check(body.Length, claimed);
            if (upload.Delta is null)
            {
                if (offset != part.Position)
                {
                    throw new FerryException(ProtocolError.BadRequest, $"file.data for '{shown}' starts at byte {offset}, but {part.Position} are written");
                }
                if (claimed > upload.Request.Length - part.Position)
                {
                    throw new FerryException(ProtocolError.BadRequest, $"file.data for '{shown}' goes past its announced size of {upload.Request.Length} bytes");
                }
            }
            var chunk = await body.ReadAtLeastAsync((int)body.Length, cancellationToken).ConfigureAwait(false);
            bytes = decompressor.Decompress(chunk.Slice(0, body.Length), claimed);
            body.Advance(body.Length);
        }
        catch (CompressedBodyException ex)
        {
            throw new FerryException(ProtocolError.BadRequest, $"file.data for '{shown}' was refused: {ex.Message}; '{shown}' is unchanged");
        }
        var sequence = new System.Buffers.ReadOnlySequence<byte>(bytes);
        if (upload.Delta is { } applier)
        {
            await ApplyDeltaBodyAsync(applier, sequence, path, cancellationToken).ConfigureAwait(false);
            return;
        }
        await part.WriteAsync(sequence, cancellationToken).ConfigureAwait(false);
    }

    // One body of delta instructions: read whole (at most a chunk), checked, then carried out into the .part.
    private static async ValueTask ApplyDeltaAsync(DeltaApplier applier, Ferry.Connections.FrameBodyReader body, string path, CancellationToken cancellationToken)
    {
        if (body.Length > TransferBuffers.ChunkBytes)
        {
            throw new FerryException(ProtocolError.BadRequest, $"a delta file.data body is at most {TransferBuffers.ChunkBytes} bytes, not {body.Length}");
        }
        if (body.Length == 0) return;
        var chunk = await body.ReadAtLeastAsync((int)body.Length, cancellationToken).ConfigureAwait(false);
        await ApplyDeltaBodyAsync(applier, chunk, path, cancellationToken).ConfigureAwait(false);
        body.Advance(chunk.Length);
    }

    private static async ValueTask ApplyDeltaBodyAsync(DeltaApplier applier, System.Buffers.ReadOnlySequence<byte> instructions, string path, CancellationToken cancellationToken)
    {
        try
        {
            await applier.ApplyAsync(instructions, cancellationToken).ConfigureAwait(false);
        }
        catch (DeltaException ex)
        {
            throw new FerryException(ProtocolError.BadRequest, $"the delta for '{FileSandbox.Printable(path)}' was refused: {ex.Message}; '{FileSandbox.Printable(path)}' is unchanged");
        }
    }

    public async ValueTask DoneAsync(RequestContext request, FileRequestScope scope)
    {
        var done = request.Read(FilesJsonContext.Default.FileDone);
        var uploads = request.GetState(UploadTable.Key);
        var upload = uploads.Remove(request.Id)
            ?? throw new FerryException(ProtocolError.NotFound, $"no upload is open for request id {request.Id}");
        var put = upload.Request;
        scope.Path = put.Path;
        var shown = FileSandbox.Printable(put.Path);
        string actual;
        try
        {
            if (done.Abort)
            {
                await upload.DisposeAsync().ConfigureAwait(false);
                await request.ReplyAsync(MessageTypes.Ok, request.CancellationToken).ConfigureAwait(false);
                return;
            }
            actual = await upload.Part.CompleteAsync(request.CancellationToken).ConfigureAwait(false);
            long received = upload.Part.Position;
            await upload.ClosePartAsync().ConfigureAwait(false);
            if (received != put.Length)
            {
                throw new FerryException(ProtocolError.BadRequest, $"'{shown}' ended after {received} of {put.Length} bytes; the partial file was kept: 'resume' with the same 'key' continues it");
            }
            if (!Sha256Hex.Same(actual, done.Sha256))
            {
                await io.RunAsync(() => upload.Place.DeletePart(upload.PartName), request.CancellationToken).ConfigureAwait(false);
                throw new FerryException(ProtocolError.HashMismatch,
                    $"'{shown}' arrived damaged (SHA-256 {actual[..16]}… ≠ sent {(done.Sha256 is { Length: >= 16 } s ? s[..16] : done.Sha256 ?? "nothing")}…); it was discarded, nothing was written under its name");
            }
            await io.RunAsync(() => upload.Place.Commit(upload.PartName, put.Mtime, put.Mode ?? DefaultFileMode, put.Force, put.Path), request.CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await upload.DisposeAsync().ConfigureAwait(false);
        }
        await request.ReplyAsync(MessageTypes.Ok, new FileResult { Path = put.Path, Length = put.Length, Sha256 = actual },
            FilesJsonContext.Default.FileResult, request.CancellationToken).ConfigureAwait(false);
    }
}

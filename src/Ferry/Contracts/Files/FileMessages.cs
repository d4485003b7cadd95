using System.Text.Json.Serialization;

namespace Ferry.Contracts.Files;

/// <summary>
/// Fields of <c>file.put</c>: where the upload goes and what it is (docs/protocol.md §5.4). File sizes travel as
/// <c>length</c>, because <c>size</c> is the envelope's body size.
/// </summary>
public sealed record FilePutRequest
{
    /// <summary>Where the file goes, relative to the server's root (<c>/</c>-separated, no <c>..</c>).</summary>
    public string Path { get; init; } = "";

    /// <summary>The file's size in bytes.</summary>
    public long Length { get; init; }

    /// <summary>Modification time, Unix milliseconds; 0 leaves the server's clock time.</summary>
    public long Mtime { get; init; }

    /// <summary>Unix permission bits (0-0777); null keeps the server's default.</summary>
    public int? Mode { get; init; }

    /// <summary>Overwrite a file that exists (otherwise <c>exists</c>).</summary>
    public bool Force { get; init; }

    /// <summary>Continue from the bytes an earlier attempt left in the <c>.part</c> file.</summary>
    public bool Resume { get; init; }

    /// <summary>
    /// Names the <c>.part</c> file so a re-run of the same upload finds it (hex, 8-32 digits). Different uploads
    /// of one name use different keys, so their partial data never mixes.
    /// </summary>
    public string? Key { get; init; }

    /// <summary>
    /// The SHA-256 (hex) of the whole file when the file travels in this frame's body (at most
    /// <see cref="FileLimits.InlineBytes"/> bytes, body size = <see cref="Length"/>): the server then writes, verifies and
    /// renames it in one step and answers <c>ok</c> without <c>file.ready</c>. Null for the streamed upload.
    /// </summary>
    public string? Sha256 { get; init; }

    /// <summary>
    /// Set for a delta upload (docs/protocol.md §5.4.4): the <c>file.data</c> bodies are delta instructions against the
    /// server's current file at <see cref="Path"/>, described by the <c>file.sig</c> answer these numbers come from.
    /// </summary>
    public FileDeltaBasis? Delta { get; init; }

    /// <summary>
    /// <c>zstd</c> asks for compressed <c>file.data</c> bodies (docs/protocol.md §5.4.5); a server that agrees says so
    /// in <see cref="FileReady.Compress"/>. Null: no compression.
    /// </summary>
    public string? Compress { get; init; }

    /// <summary>
    /// For a whole-file upload (<see cref="Sha256"/> set) whose body is one zstd frame: the bytes it decompresses to,
    /// which must be <see cref="Length"/>. Sent only to a server whose <c>hello</c> lists <c>zstd</c>. Null: the body is the file.
    /// </summary>
    public int? Zstd { get; init; }
}

/// <summary>The basis a delta is built against: the receiver's file as its signature described it.</summary>
public sealed record FileDeltaBasis
{
    /// <summary>The signature's block size.</summary>
    public int BlockSize { get; init; }

    /// <summary>The basis file's length when its signature was made; the server refuses the delta if it changed.</summary>
    public long Length { get; init; }
}

/// <summary>Limits of the files protocol both ends rely on (docs/protocol.md §5.4).</summary>
public static class FileLimits
{
    /// <summary>The largest file a <c>file.put</c> may carry in its own body (1 MiB).</summary>
    public const int InlineBytes = 1024 * 1024;

    /// <summary>Uploads (streamed or inline) one connection may have open at once; a request beyond it is answered <c>busy</c>.</summary>
    public const int UploadsPerConnection = 16;

    /// <summary>Downloads one connection may have streaming at once; a request beyond it is answered <c>busy</c>.</summary>
    public const int DownloadsPerConnection = 16;
}

/// <summary>Fields of <c>file.get</c>.</summary>
public sealed record FileGetRequest
{
    /// <summary>The file to download, relative to the server's root.</summary>
    public string Path { get; init; } = "";

    /// <summary>Bytes the client already holds in its <c>.part</c> file.</summary>
    public long Offset { get; init; }

    /// <summary>SHA-256 (hex) of those first <see cref="Offset"/> bytes, so the server can check them.</summary>
    public string? PrefixSha256 { get; init; }

    /// <summary>
    /// The body is the client's block signature of its own copy (docs/protocol.md §5.4.4); the server answers with a
    /// delta against it (<see cref="FileReady.Delta"/>) instead of the file's bytes. Needs <see cref="Offset"/> 0.
    /// </summary>
    public bool Delta { get; init; }

    /// <summary><c>zstd</c> asks the server to compress the <c>file.data</c> bodies that shrink (docs/protocol.md §5.4.5).</summary>
    public string? Compress { get; init; }
}

/// <summary>
/// <c>file.ready</c>: the receiver's go-ahead. For a put the server says how many bytes of the <c>.part</c> it holds
/// (and their hash); for a get it describes the file and where the data will start.
/// </summary>
public sealed record FileReady
{
    /// <summary>Where the data starts: the bytes the receiver already holds.</summary>
    public long Offset { get; init; }

    /// <summary>SHA-256 (hex) of those first <see cref="Offset"/> bytes, so the other end can check they match.</summary>
    public string? PrefixSha256 { get; init; }

    /// <summary>The whole file's size in bytes.</summary>
    public long Length { get; init; }

    /// <summary>For a get: the file's modification time, Unix milliseconds.</summary>
    public long Mtime { get; init; }

    /// <summary>For a get: the file's Unix permission bits.</summary>
    public int? Mode { get; init; }

    /// <summary>For a get: the <c>file.data</c> bodies that follow are delta instructions, not the file's bytes.</summary>
    public bool Delta { get; init; }

    /// <summary>
    /// The compression the receiver agreed to (<c>zstd</c>), echoing the request's <c>compress</c>; null when the
    /// transfer goes uncompressed (not asked for, or a peer that does not know compression).
    /// </summary>
    public string? Compress { get; init; }
}

/// <summary>Fields of <c>file.data</c>: the body is file content starting at <see cref="Offset"/>.</summary>
public sealed record FileData
{
    /// <summary>Where in the file this frame's body belongs.</summary>
    public long Offset { get; init; }

    /// <summary>
    /// Set when the body is one zstd frame (docs/protocol.md §5.4.5): the bytes it decompresses to (1 to 1,048,576),
    /// which are what <see cref="Offset"/> counts. Null: the body is the data itself.
    /// </summary>
    public int? Zstd { get; init; }
}

/// <summary><c>file.done</c>: the sender's SHA-256 of the whole file, sent after the last byte.</summary>
public sealed record FileDone
{
    /// <summary>SHA-256 (hex) of the whole file as the sender read it.</summary>
    public string? Sha256 { get; init; }

    /// <summary>The sender gives up; the receiver keeps the <c>.part</c> for a later resume.</summary>
    public bool Abort { get; init; }
}

/// <summary>A finished upload, as confirmed by the server.</summary>
public sealed record FileResult
{
    /// <summary>The file's path under the root.</summary>
    public string Path { get; init; } = "";

    /// <summary>Its size in bytes.</summary>
    public long Length { get; init; }

    /// <summary>Its SHA-256 (hex), verified by the server before the rename.</summary>
    public string Sha256 { get; init; } = "";
}

/// <summary>Fields of <c>file.list</c>, <c>file.stat</c>, <c>file.remove</c> and <c>file.mkdir</c>.</summary>
public sealed record FilePathRequest
{
    /// <summary>The path, relative to the server's root; empty for the root itself.</summary>
    public string Path { get; init; } = "";

    /// <summary>list: walk sub-folders; remove: delete a folder with its contents.</summary>
    public bool Recursive { get; init; }

    /// <summary>mkdir: create missing parents, and succeed if the folder exists.</summary>
    public bool Parents { get; init; }

    /// <summary>list: the server hashes every regular file listed and puts its SHA-256 in the entry (for <c>sync --checksum</c>).</summary>
    public bool Sha256 { get; init; }
}

/// <summary>One entry of a listing, or the answer to <c>file.stat</c>.</summary>
public sealed record FileEntry
{
    /// <summary>The name; in a recursive listing, the path below the listed folder with '/' separators.</summary>
    public string Name { get; init; } = "";

    /// <summary><c>file</c>, <c>dir</c> or <c>link</c>.</summary>
    public string Kind { get; init; } = "";

    /// <summary>Size in bytes (0 for folders).</summary>
    public long Length { get; init; }

    /// <summary>Modification time, Unix milliseconds.</summary>
    public long Mtime { get; init; }

    /// <summary>Unix permission bits, where the server has them.</summary>
    public int? Mode { get; init; }

    /// <summary>The file's SHA-256 (hex), in a listing asked for with <c>sha256</c>; null otherwise and for anything not a regular file.</summary>
    public string? Sha256 { get; init; }
}

/// <summary>The body of a <c>file.list</c> answer.</summary>
public sealed record FileListing
{
    /// <summary>The folder listed.</summary>
    public string Path { get; init; } = "";

    /// <summary>Its entries, in name order (depth first when recursive).</summary>
    public List<FileEntry> Entries { get; init; } = [];
}

/// <summary>Source-generated (AOT-safe) JSON metadata for the files contracts: pass its type infos to the typed request helpers or to <c>JsonSerializer</c>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FilePutRequest))]
[JsonSerializable(typeof(FileGetRequest))]
[JsonSerializable(typeof(FileReady))]
[JsonSerializable(typeof(FileData))]
[JsonSerializable(typeof(FileDone))]
[JsonSerializable(typeof(FileResult))]
[JsonSerializable(typeof(FilePathRequest))]
[JsonSerializable(typeof(FileEntry))]
[JsonSerializable(typeof(FileListing))]
public sealed partial class FilesJsonContext : JsonSerializerContext
{
}

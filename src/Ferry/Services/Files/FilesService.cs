using Ferry.Protocol;
using Ferry.Security;
using Ferry.Server;
using Ferry.Contracts.Files;

namespace Ferry.Services.Files;

/// <summary>
/// File transfer inside one sandboxed folder (docs/protocol.md §5.4): verified, resumable uploads
/// (<see cref="FileUploads"/>) and downloads (<see cref="FileDownloads"/>), and the catalogue operations
/// (<see cref="FileCatalogue"/>: list, stat, remove, mkdir). This class routes the requests and is the one place
/// their file-system failures become wire errors (<see cref="FileErrors"/>).
/// </summary>
public sealed class FilesService : IFerryService
{
    private readonly Lazy<FileSandbox> _sandbox;
    private readonly Lazy<FileRoot> _root;
    private readonly FileUploads _uploads;
    private readonly FileDownloads _downloads;
    private readonly FileCatalogue _catalogue;

    /// <param name="options">The service's settings.</param>
    /// <param name="dataDirectory">The server's state folder; the default root is its <c>files/</c>.</param>
    public FilesService(FilesOptions options, string dataDirectory)
    {
        var root = options.Root ?? Path.Combine(dataDirectory, "files");
        _sandbox = new Lazy<FileSandbox>(() => new FileSandbox(root), LazyThreadSafetyMode.ExecutionAndPublication);
        _root = new Lazy<FileRoot>(() => FileRoot.Open(_sandbox.Value), LazyThreadSafetyMode.ExecutionAndPublication);
        FileRoot Root() => _root.Value;
        var io = new FileIo(Math.Clamp(Environment.ProcessorCount * 4, 8, 64));
        _uploads = new FileUploads(options, Root, io, Claims);
        _downloads = new FileDownloads(options, Root, io);
        _catalogue = new FileCatalogue(options, Root, io);
    }

    /// <summary>The sandbox (created, with its root folder, on first use).</summary>
    internal FileSandbox Sandbox => _sandbox.Value;

    /// <summary>
    /// Whether the file operations are safe against a local process swapping links while they run (true on Linux,
    /// where the root is walked by directory descriptors; docs/security.md).
    /// </summary>
    public bool RaceFree => _root.Value.RaceFree;

    /// <summary>The <c>.part</c> files uploads and the stale-part sweep hold, across all connections.</summary>
    internal PartClaims Claims { get; } = new();

    /// <summary>
    /// Deletes upload <c>.part</c> files under the root last written before <paramref name="cutoffUtc"/> that no upload
    /// holds (see <see cref="StalePartSweeper.Sweep"/>). Returns how many files and bytes went.
    /// </summary>
    public (int Count, long Bytes) SweepStaleParts(DateTime cutoffUtc, CancellationToken cancellationToken = default) =>
        _root.Value.SweepParts(Claims, cutoffUtc, cancellationToken);

    /// <summary>
    /// The file requests: <c>file.put</c> (continued by <c>file.data</c> and <c>file.done</c>), <c>file.remove</c> and
    /// <c>file.mkdir</c> need <c>files:write</c>; <c>file.get</c>, <c>file.list</c> and <c>file.stat</c> need <c>files:read</c>.
    /// </summary>
    public void MapRoutes(ServiceRoutes routes) => routes
        .Map(MessageTypes.FilePut, Mapped(_uploads.PutAsync), Rights.FilesWrite)
        .MapContinuation(MessageTypes.FileData, Mapped(_uploads.DataAsync), Rights.FilesWrite)
        .MapContinuation(MessageTypes.FileDone, Mapped(_uploads.DoneAsync), Rights.FilesWrite)
        .Map(MessageTypes.FileRemove, Mapped(_catalogue.RemoveAsync), Rights.FilesWrite)
        .Map(MessageTypes.FileMkdir, Mapped(_catalogue.MakeDirectoryAsync), Rights.FilesWrite)
        .Map(MessageTypes.FileGet, Mapped(_downloads.GetAsync), Rights.FilesRead)
        .Map(MessageTypes.FileSig, Mapped(_downloads.SignatureAsync), Rights.FilesRead)
        .Map(MessageTypes.FileList, Mapped(_catalogue.ListAsync), Rights.FilesRead)
        .Map(MessageTypes.FileStat, Mapped(_catalogue.StatAsync), Rights.FilesRead);

    // The one place a request's file-system failure becomes its wire error, naming the path it was about.
    private static RequestHandler Mapped(Func<RequestContext, FileRequestScope, ValueTask> operation) => async request =>
    {
        var scope = new FileRequestScope();
        try
        {
            await operation(request, scope).ConfigureAwait(false);
        }
        catch (Exception ex) when (FileErrors.IsFileSystemFailure(ex))
        {
            throw FileErrors.Map(ex, scope.Path);
        }
    };
}

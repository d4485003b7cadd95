using Ferry.Protocol;
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
    public FileSandbox Sandbox => _sandbox.Value;

    /// <summary>
    /// Whether the file operations are safe against a local process swapping links while they run (true on Linux,
    /// where the root is walked by directory descriptors; docs/security.md).
    /// </summary>
    public bool RaceFree => _root.Value.RaceFree;

    /// <summary>The <c>.part</c> files uploads and the stale-part sweep hold, across all connections.</summary>
    public PartClaims Claims { get; } = new();

    /// <summary>
    /// Deletes upload <c>.part</c> files under the root last written before <paramref name="cutoffUtc"/> that no upload
    /// holds (see <see cref="StalePartSweeper.Sweep"/>). Returns how many files and bytes went.
    /// </summary>
    public (int Count, long Bytes) SweepStaleParts(DateTime cutoffUtc, CancellationToken cancellationToken = default) =>
        _root.Value.SweepParts(Claims, cutoffUtc, cancellationToken);

    public async ValueTask HandleAsync(ServerRequest request)
    {
        var scope = new FileRequestScope();
        try
        {
            switch (request.Type)
            {
                case MessageTypes.FilePut: await _uploads.PutAsync(request, scope).ConfigureAwait(false); break;
                case MessageTypes.FileData: await _uploads.DataAsync(request, scope).ConfigureAwait(false); break;
                case MessageTypes.FileDone: await _uploads.DoneAsync(request, scope).ConfigureAwait(false); break;
                case MessageTypes.FileGet: await _downloads.GetAsync(request, scope).ConfigureAwait(false); break;
                case MessageTypes.FileList: await _catalogue.ListAsync(request, scope).ConfigureAwait(false); break;
                case MessageTypes.FileStat: await _catalogue.StatAsync(request, scope).ConfigureAwait(false); break;
                case MessageTypes.FileRemove: await _catalogue.RemoveAsync(request, scope).ConfigureAwait(false); break;
                case MessageTypes.FileMkdir: await _catalogue.MakeDirectoryAsync(request, scope).ConfigureAwait(false); break;
                default: throw new FerryException(ProtocolError.UnknownType, $"the file service does not handle '{request.Type}'");
            }
        }
        catch (Exception ex) when (FileErrors.IsFileSystemFailure(ex))
        {
            throw FileErrors.Map(ex, scope.Path);
        }
    }
}

using Ferry.Transfers;
using Ferry.Contracts.Files;

namespace Ferry.Services.Files;

/// <summary>One upload in progress on a connection: the folder it goes in, its <c>.part</c> file and the claim on it.</summary>
internal sealed class Upload : IAsyncDisposable
{
    private readonly PartClaims.Claim _claim;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _basis;
    private int _disposed;
    private int _partClosed;

    public Upload(FilePutRequest request, UploadPlace place, string partName, PartFile part, PartClaims.Claim claim,
        Microsoft.Win32.SafeHandles.SafeFileHandle? basis = null)
    {
        _basis = basis;
        if (basis is not null && request.Delta is { } delta) Delta = new DeltaApplier(basis, delta.Length, delta.BlockSize, part, request.Length);
        // Asked for and known: the client may send compressed bodies (file.ready says it was accepted).
        if (FileCompression.IsKnown(request.Compress)) Decompressor = new BodyDecompressor();
        Request = request;
        Place = place;
        PartName = partName;
        Part = part;
        _claim = claim;
    }

    public FilePutRequest Request { get; }

    /// <summary>The folder the <c>.part</c> and the target are in (held until disposed).</summary>
    public UploadPlace Place { get; }

    public string PartName { get; }

    public PartFile Part { get; }

    /// <summary>For a delta upload: rebuilds the file into <see cref="Part"/> from the basis (the current file) and the received instructions.</summary>
    public DeltaApplier? Delta { get; }

    /// <summary>Set when the upload agreed to compression: turns each compressed <c>file.data</c> body back into its bytes.</summary>
    public BodyDecompressor? Decompressor { get; }

    /// <summary>Closes the <c>.part</c> file (kept for resume unless the caller deletes it); the claim and the folder stay held.</summary>
    public async ValueTask ClosePartAsync()
    {
        if (Interlocked.Exchange(ref _partClosed, 1) == 0) await Part.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Closes the <c>.part</c>, frees its name and lets go of the folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await ClosePartAsync().ConfigureAwait(false);
        }
        finally
        {
            _claim.Dispose();
            Place.Dispose();
            _basis?.Dispose();
            Decompressor?.Dispose();
        }
    }
}

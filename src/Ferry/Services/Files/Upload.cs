using Ferry.Transfers;

namespace Ferry.Services.Files;

/// <summary>One upload in progress on a connection: its target, its <c>.part</c> file and the claim on it.</summary>
internal sealed class Upload : IAsyncDisposable
{
    private readonly PartClaims.Claim _claim;
    private int _disposed;

    public Upload(FilePutRequest request, string targetPath, PartFile part, PartClaims.Claim claim)
    {
        Request = request;
        TargetPath = targetPath;
        Part = part;
        _claim = claim;
    }

    public FilePutRequest Request { get; }

    public string TargetPath { get; }

    public string PartPath => _claim.PartPath;

    public PartFile Part { get; }

    /// <summary>Closes the <c>.part</c> (kept for resume unless the caller deletes it) and frees its name.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await Part.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _claim.Dispose();
        }
    }
}

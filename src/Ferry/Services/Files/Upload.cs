namespace Ferry.Services.Files;

/// <summary>One upload in progress on a connection: its target, its <c>.part</c> file and the writer filling it.</summary>
internal sealed class Upload : IAsyncDisposable
{
    private readonly Action _release;
    private int _disposed;

    public Upload(FilePutRequest request, string targetPath, string partPath, PartFileWriter writer, Action release)
    {
        Request = request;
        TargetPath = targetPath;
        PartPath = partPath;
        Writer = writer;
        _release = release;
    }

    public FilePutRequest Request { get; }

    public string TargetPath { get; }

    public string PartPath { get; }

    public PartFileWriter Writer { get; }

    /// <summary>Closes the <c>.part</c> (kept for resume unless the caller deletes it) and frees its name.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await Writer.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _release();
        }
    }
}

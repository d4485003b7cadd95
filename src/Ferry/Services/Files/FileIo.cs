using Ferry.Contracts.Files;
namespace Ferry.Services.Files;

/// <summary>
/// Where the file service's blocking file-system calls run: on the thread pool, at most <see cref="MaxConcurrent"/> at
/// once. Never on a connection's read loop, which with inline socket scheduling is an event loop shared by many
/// connections: one stuck call there (a slow disk, a network file system that hangs) would freeze all of them. The
/// bound keeps such calls from taking every pool thread; requests beyond it wait without holding a thread.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "FileIo lives as long as the files service; its semaphore never hands out a wait handle, so there is nothing to release.")]
internal sealed class FileIo
{
    private readonly SemaphoreSlim _slots;

    public FileIo(int maxConcurrent)
    {
        MaxConcurrent = maxConcurrent;
        _slots = new SemaphoreSlim(maxConcurrent, maxConcurrent);
    }

    /// <summary>How many file-system calls may run at once.</summary>
    public int MaxConcurrent { get; }

    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(work, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    public Task RunAsync(Action work, CancellationToken cancellationToken) => RunAsync<bool>(() =>
    {
        work();
        return true;
    }, cancellationToken);
}

using Ferry.Contracts.Files;
using Ferry.Protocol;

namespace Ferry.Client;

/// <summary>
/// Keeps many transfers in flight on one connection, so a tree of small files moves at the speed of its bytes rather
/// than of its round trips: at most <see cref="MaxFiles"/> at once and, beyond the first, at most <see cref="MaxBytes"/>
/// of them by size. The server caps uploads and downloads per connection (16 each by default,
/// <see cref="FileLimits.UploadsPerConnection"/>); a transfer it refuses as <c>busy</c> because its cap is lower is
/// retried once another has finished, with the window narrowed to what the server took.
/// </summary>
public sealed class TransferWindow
{
    /// <param name="maxFiles">Transfers in flight at once (1 runs them one after another).</param>
    /// <param name="maxBytes">Bytes of files in flight at once; a larger file still runs, alone.</param>
    public TransferWindow(int maxFiles = FileLimits.UploadsPerConnection, long maxBytes = 64L * 1024 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFiles, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        MaxFiles = maxFiles;
        MaxBytes = maxBytes;
    }

    /// <summary>Transfers in flight at once, at most.</summary>
    public int MaxFiles { get; private set; }

    /// <summary>Bytes of files in flight at once, at most (one file larger than this runs alone).</summary>
    public long MaxBytes { get; }

    /// <summary>
    /// Runs <paramref name="transfer"/> for every item, in order of starting, several at once. The first failure stops
    /// new starts; the ones in flight finish (or fail) and then that first failure is thrown. Returns each item's result
    /// in the order of <paramref name="items"/>.
    /// </summary>
    /// <param name="items">What to move.</param>
    /// <param name="sizeOf">An item's size in bytes, for the byte bound.</param>
    /// <param name="transfer">Moves one item.</param>
    /// <param name="cancellationToken">Stops new starts and is passed to every transfer.</param>
    public async Task<IReadOnlyList<TResult>> RunAsync<TItem, TResult>(IReadOnlyList<TItem> items, Func<TItem, long> sizeOf,
        Func<TItem, CancellationToken, Task<TResult>> transfer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(sizeOf);
        ArgumentNullException.ThrowIfNull(transfer);
        var results = new TResult[items.Count];
        // A list, not a dictionary by task: two transfers may return the same cached, completed task.
        var running = new List<(Task<TResult> Task, int Index, long Size)>();
        var retry = new Queue<int>();
        long bytesInFlight = 0;
        int next = 0;
        Exception? failure = null;
        while (true)
        {
            // Start what fits.
            while (failure is null && !cancellationToken.IsCancellationRequested && (retry.Count > 0 || next < items.Count))
            {
                int index = retry.Count > 0 ? retry.Peek() : next;
                long size = Math.Max(0, sizeOf(items[index]));
                bool fits = running.Count == 0 || (running.Count < MaxFiles && bytesInFlight + size <= MaxBytes);
                if (!fits) break;
                if (retry.Count > 0) retry.Dequeue();
                else next++;
                running.Add((Start(transfer, items[index], cancellationToken), index, size));
                bytesInFlight += size;
            }
            if (running.Count == 0) break;
            var done = await Task.WhenAny(running.Select(r => r.Task)).ConfigureAwait(false);
            int at = running.FindIndex(r => ReferenceEquals(r.Task, done));
            var (_, doneIndex, doneSize) = running[at];
            running.RemoveAt(at);
            bytesInFlight -= doneSize;
            try
            {
                results[doneIndex] = await done.ConfigureAwait(false);
            }
            catch (FerryException ex) when (ex.Error == ProtocolError.Busy && running.Count > 0 && failure is null)
            {
                // The server's cap is below our window: take what it accepted as the window, and try this one again.
                MaxFiles = Math.Max(1, running.Count);
                retry.Enqueue(doneIndex);
            }
            catch (Exception ex)
            {
                failure ??= ex;
            }
        }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        cancellationToken.ThrowIfCancellationRequested();
        return results;
    }

    // A transfer that throws before its first await fails like any other: as its task, collected in order.
    private static Task<TResult> Start<TItem, TResult>(Func<TItem, CancellationToken, Task<TResult>> transfer, TItem item, CancellationToken cancellationToken)
    {
        try
        {
            return transfer(item, cancellationToken);
        }
        catch (Exception ex)
        {
            return Task.FromException<TResult>(ex);
        }
    }
}

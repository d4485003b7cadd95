using System.Collections.Concurrent;
using Ferry.Contracts.Files;

namespace Ferry.Services.Files;

/// <summary>
/// The <c>.part</c> files in use across all connections, by path: an upload holds its claim while it writes, and the
/// stale-part sweeper claims each file while it checks and deletes it, so neither pulls a file from under the other,
/// and a second upload to the same <c>.part</c> gets <c>busy</c> instead of mixed data.
/// </summary>
internal sealed class PartClaims
{
    // The value completes when the holder lets go of the .part.
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _held = new(StringComparer.Ordinal);

    /// <summary>Claims <paramref name="partPath"/>; null if someone else holds it.</summary>
    public Claim? TryClaim(string partPath)
    {
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _held.TryAdd(partPath, released) ? new Claim(this, partPath, released) : null;
    }

    /// <summary>
    /// Claims <paramref name="partPath"/>, waiting up to <paramref name="patience"/> for a current holder to let go
    /// (a client that lost its connection and resumes at once may beat the server noticing the drop). Null if it is still held.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "A claim taken here is returned to the caller, who owns it; none is dropped.")]
    public async Task<Claim?> ClaimAsync(string partPath, TimeSpan patience, TimeProvider time, CancellationToken cancellationToken)
    {
        if (TryClaim(partPath) is { } claim) return claim;
        if (_held.TryGetValue(partPath, out var holder))
        {
            await holder.Task.WaitAsync(patience, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        return TryClaim(partPath);
    }

    /// <summary>One held <c>.part</c>; disposing it lets go, once, waking anyone waiting to take it over.</summary>
    public sealed class Claim : IDisposable
    {
        private readonly PartClaims _owner;
        private readonly TaskCompletionSource _released;
        private int _disposed;

        internal Claim(PartClaims owner, string partPath, TaskCompletionSource released)
        {
            _owner = owner;
            PartPath = partPath;
            _released = released;
        }

        public string PartPath { get; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            _owner._held.TryRemove(new KeyValuePair<string, TaskCompletionSource>(PartPath, _released));
            _released.TrySetResult();
        }
    }
}

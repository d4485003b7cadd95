using Microsoft.Extensions.Time.Testing;

namespace Ferry.Tests.Infrastructure;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also says when code under test has started a timer of a given length, so a
/// test advances the clock only once the deadline it means to fire exists (advancing earlier would leave a timer
/// created afterwards waiting for a future advance, and the test would hang instead of proving anything).
/// </summary>
internal sealed class WatchedClock : TimeProvider
{
    private readonly FakeTimeProvider _fake = new();
    private readonly List<(TimeSpan Due, TaskCompletionSource Seen)> _waiters = [];
    private readonly List<TimeSpan> _started = [];

    public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

    public override long GetTimestamp() => _fake.GetTimestamp();

    public override long TimestampFrequency => _fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _fake.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = _fake.CreateTimer(callback, state, dueTime, period);
        lock (_waiters)
        {
            _started.Add(dueTime);
            foreach (var waiter in _waiters.Where(w => w.Due == dueTime)) waiter.Seen.TrySetResult();
            _waiters.RemoveAll(w => w.Due == dueTime);
        }
        return timer;
    }

    /// <summary>Completes once a timer due after <paramref name="dueTime"/> has been started (now or earlier).</summary>
    public Task TimerStartedAsync(TimeSpan dueTime)
    {
        lock (_waiters)
        {
            if (_started.Contains(dueTime)) return Task.CompletedTask;
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((dueTime, seen));
            return seen.Task;
        }
    }

    public void Advance(TimeSpan by) => _fake.Advance(by);
}

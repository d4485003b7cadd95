namespace Ferry.Security;

/// <summary>
/// Slows failed logins down per source address: the n-th recent failure from an address is answered only after
/// <c>base × 2^(n-1)</c> (capped). Failures are forgotten after a quiet period. Together with the cap on
/// unauthenticated connections per address this bounds how fast one address can guess.
/// </summary>
internal sealed class LoginThrottle
{
    private const int MaxTrackedAddresses = 10_000;
    private readonly Dictionary<string, (int Failures, DateTime Last)> _failures = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public LoginThrottle(TimeSpan baseDelay, TimeSpan maxDelay, TimeSpan forgetAfter, TimeProvider? time = null)
    {
        BaseDelay = baseDelay;
        MaxDelay = maxDelay;
        ForgetAfter = forgetAfter;
        _time = time ?? TimeProvider.System;
    }

    public TimeSpan BaseDelay { get; }

    public TimeSpan MaxDelay { get; }

    public TimeSpan ForgetAfter { get; }

    /// <summary>Records a failure from <paramref name="address"/> and returns how long to wait before answering.</summary>
    public TimeSpan RecordFailure(string address)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        lock (_failures)
        {
            if (_failures.Count >= MaxTrackedAddresses) Prune(now);
            int failures = _failures.TryGetValue(address, out var entry) && now - entry.Last < ForgetAfter ? entry.Failures + 1 : 1;
            _failures[address] = (failures, now);
            double factor = Math.Pow(2, Math.Min(failures - 1, 20));
            return TimeSpan.FromTicks((long)Math.Min(BaseDelay.Ticks * factor, MaxDelay.Ticks));
        }
    }

    /// <summary>Recent failures from <paramref name="address"/>.</summary>
    public int Failures(string address)
    {
        lock (_failures) return _failures.TryGetValue(address, out var entry) ? entry.Failures : 0;
    }

    private void Prune(DateTime now)
    {
        foreach (var key in _failures.Where(p => now - p.Value.Last >= ForgetAfter).Select(p => p.Key).ToArray()) _failures.Remove(key);
        if (_failures.Count >= MaxTrackedAddresses) _failures.Clear(); // a flood of addresses: forget rather than grow
    }
}

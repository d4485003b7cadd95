using Ferry.Client;

namespace Ferry.Tests.Services.Chat;

/// <summary>Reads a chat session's events on a background task so the tests can wait for what they expect.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Lives for one test; its semaphore never hands out a wait handle, so there is nothing to release.")]
internal sealed class ChatEventCollector
{
    private readonly List<ChatEvent> _events = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Task _reading;

    public ChatEventCollector(IAsyncEnumerable<ChatEvent> events)
    {
        _reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in events)
                {
                    lock (_events) _events.Add(e);
                    _arrived.Release();
                }
            }
            finally
            {
                _arrived.Release();
            }
        });
    }

    public ChatSession? Session { get; init; }

    public Task Completion => _reading;

    public List<ChatEvent> Snapshot()
    {
        lock (_events) return [.. _events];
    }

    /// <summary>Waits until <paramref name="done"/> holds for the events so far; fails after <paramref name="seconds"/>.</summary>
    public async Task<List<ChatEvent>> WaitForAsync(Func<List<ChatEvent>, bool> done, double seconds = 20)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (true)
        {
            var snapshot = Snapshot();
            if (done(snapshot)) return snapshot;
            if (_reading.IsCompleted && _arrived.CurrentCount == 0)
            {
                throw new Xunit.Sdk.XunitException($"the event stream ended before the expected events arrived; got {snapshot.Count}: {Describe(snapshot)}");
            }
            try
            {
                await _arrived.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"timed out waiting for chat events; got {snapshot.Count}: {Describe(snapshot)}");
            }
        }
    }

    public Task<List<ChatEvent>> WaitForMessagesAsync(int count, double seconds = 20) =>
        WaitForAsync(events => events.Count(e => e.Kind == "message" && !e.History) >= count, seconds);

    private static string Describe(List<ChatEvent> events) =>
        string.Join("; ", events.TakeLast(10).Select(e => $"{e.Kind} {e.From}: {e.Text?[..Math.Min(20, e.Text.Length)]}"));
}

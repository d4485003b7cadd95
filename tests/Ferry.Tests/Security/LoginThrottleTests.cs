using Ferry.Security;

namespace Ferry.Tests.Security;

public class LoginThrottleTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void DelayDoublesPerFailureUpToTheCapAndIsPerAddress()
    {
        var clock = new ManualClock();
        var throttle = new LoginThrottle(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(15), clock);
        Assert.Equal(100, throttle.RecordFailure("10.0.0.1").TotalMilliseconds);
        Assert.Equal(200, throttle.RecordFailure("10.0.0.1").TotalMilliseconds);
        Assert.Equal(400, throttle.RecordFailure("10.0.0.1").TotalMilliseconds);
        Assert.Equal(800, throttle.RecordFailure("10.0.0.1").TotalMilliseconds);
        Assert.Equal(1000, throttle.RecordFailure("10.0.0.1").TotalMilliseconds);
        Assert.Equal(100, throttle.RecordFailure("10.0.0.2").TotalMilliseconds);
        clock.Now += TimeSpan.FromMinutes(16);
        Assert.Equal(100, throttle.RecordFailure("10.0.0.1").TotalMilliseconds);
    }

    [Fact]
    public void PreAuthGateCapsPerAddressAndInTotal()
    {
        var gate = new PreAuthGate(maxPerAddress: 2, maxTotal: 3);
        var a1 = gate.TryEnter("a");
        var a2 = gate.TryEnter("a");
        Assert.NotNull(a1);
        Assert.NotNull(a2);
        Assert.Null(gate.TryEnter("a"));
        var b1 = gate.TryEnter("b");
        Assert.NotNull(b1);
        Assert.Null(gate.TryEnter("c")); // total reached
        a1!.Dispose();
        a1.Dispose(); // releasing twice gives back one slot only
        Assert.Equal(2, gate.Total);
        Assert.NotNull(gate.TryEnter("a"));
    }

    [Fact]
    public void NonceLedgerNamesReuseAndForgetsTheOldest()
    {
        var ledger = new NonceLedger(capacity: 2);
        Assert.True(ledger.TryUse([1]));
        Assert.False(ledger.TryUse([1]));
        Assert.True(ledger.TryUse([2]));
        Assert.True(ledger.TryUse([3]));
        Assert.True(ledger.TryUse([1])); // forgotten: bounded memory
    }
}

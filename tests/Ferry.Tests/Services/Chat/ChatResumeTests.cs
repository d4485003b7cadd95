using Ferry.Contracts.Chat;
using Ferry.Services.Chat;

namespace Ferry.Tests.Services.Chat;

public class ChatResumeTests
{
    private static readonly List<long> s_kept = [4, 5, 6, 7];

    private static (List<long> Replay, bool Resumed, string? Reset) Resume(long? since, string? epoch) =>
        ChatResume.Select(s_kept, 7, "e1", new ChatJoinRequest { Since = since, Epoch = epoch }, s => s);

    [Fact]
    public void ResumeWithinTheKeptHistoryGetsExactlyTheMissedMessages()
    {
        var (replay, resumed, reset) = Resume(5, "e1");
        Assert.Equal([6L, 7L], replay);
        Assert.True(resumed);
        Assert.Null(reset);
    }

    [Fact]
    public void ResumeFromTheLastSeqGetsNothing()
    {
        var (replay, resumed, reset) = Resume(7, "e1");
        Assert.Empty(replay);
        Assert.True(resumed);
        Assert.Null(reset);
    }

    [Fact]
    public void ResumeAcrossAnEpochChangeIsToldSoAndGetsTheHistory()
    {
        var (replay, resumed, reset) = Resume(5, "old");
        Assert.Equal(s_kept, replay);
        Assert.False(resumed);
        Assert.Equal("epoch changed", reset);
    }

    [Fact]
    public void ResumeFromBeforeTheKeptHistoryIsToldItWasTrimmed()
    {
        var (_, resumed, reset) = Resume(2, "e1");
        Assert.False(resumed);
        Assert.Equal("history trimmed", reset);
    }

    [Fact]
    public void JoinWithoutSinceGetsTheHistoryAsBefore() => Assert.Equal((s_kept, false, null), Resume(null, null));
}

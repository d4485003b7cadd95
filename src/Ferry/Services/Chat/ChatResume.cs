using System.Security.Cryptography;
using Ferry.Contracts.Chat;

namespace Ferry.Services.Chat;

/// <summary>
/// The resume rule both hubs follow (protocol.md, chat resume): a join with <c>since</c> and the room's current
/// <c>epoch</c> gets exactly the messages after <c>since</c> when all of them are still kept; otherwise the usual
/// history and a <c>reset</c> reason, never a silent gap.
/// </summary>
internal static class ChatResume
{
    /// <summary>A fresh epoch: 12 random bytes, hex (a room's numbering restarted, so old seqs mean nothing).</summary>
    public static string NewEpoch() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>
    /// Picks what to replay from <paramref name="kept"/> (oldest first, seqs ascending, the last one <paramref name="lastSeq"/>).
    /// </summary>
    public static (List<T> Replay, bool Resumed, string? Reset) Select<T>(List<T> kept, long lastSeq, string epoch, ChatJoinRequest request, Func<T, long> seqOf)
    {
        if (request.Since is not { } since) return (kept, false, null);
        if (!string.Equals(request.Epoch, epoch, StringComparison.Ordinal)) return (kept, false, "epoch changed");
        if (since > lastSeq || since < 0) return (kept, false, "epoch changed");
        if (since == lastSeq) return ([], true, null);
        int first = kept.FindIndex(k => seqOf(k) > since);
        // Every seq in (since, lastSeq] must still be there, starting right after since.
        if (first < 0 || seqOf(kept[first]) != since + 1) return (kept, false, "history trimmed");
        return (kept.GetRange(first, kept.Count - first), true, null);
    }
}

using Ferry.Contracts.Chat;
namespace Ferry.Services.Chat;

/// <summary>A room: its members and a ring of its last messages. Guarded by the hub's lock.</summary>
internal sealed class ChatRoom
{
    private readonly ChatDelivery[] _history;
    private int _next;
    private int _count;

    public ChatRoom(string name, int historySize, string creator)
    {
        Name = name;
        Creator = creator;
        _history = new ChatDelivery[Math.Max(0, historySize)];
    }

    public string Name { get; }

    /// <summary>The user who created the room; it counts against that user's room cap while it exists.</summary>
    public string Creator { get; }

    /// <summary>When the last member left a room that keeps history; null while it has members.</summary>
    public DateTimeOffset? EmptySince { get; set; }

    public List<ChatMember> Members { get; } = [];

    /// <summary>The last <c>seq</c> this process numbered in the room.</summary>
    public long LastSeq { get; set; }

    /// <summary>The numbering epoch: new whenever the room's numbering restarts (a new room, or one freed and created again).</summary>
    public string Epoch { get; set; } = "";

    public int HistoryCount => _count;

    public void Remember(in ChatDelivery message)
    {
        if (_history.Length == 0) return;
        _history[_next] = message;
        _next = (_next + 1) % _history.Length;
        if (_count < _history.Length) _count++;
    }

    /// <summary>The remembered messages, oldest first.</summary>
    public IEnumerable<ChatDelivery> History()
    {
        int start = (_next - _count + _history.Length) % Math.Max(1, _history.Length);
        for (int i = 0; i < _count; i++) yield return _history[(start + i) % _history.Length];
    }
}

using System.Collections;

namespace Ferry.Server;

/// <summary>
/// The logging scope every line written while serving one connection carries: its id, the peer's address and, once
/// the login succeeded, who it is. Providers read a scope's pairs when they write a line, so the principal set after
/// the login shows on every later line of the same scope without opening a new one. Peer-chosen text (a user name)
/// is a principal the server accepted, never raw header text.
/// </summary>
internal sealed class ConnectionLogScope(string connectionId, string remote) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private volatile string? _principal;

    public string ConnectionId { get; } = connectionId;

    public string Remote { get; } = remote;

    /// <summary>The authenticated principal's name; null until the login succeeds.</summary>
    public string? Principal
    {
        get => _principal;
        set => _principal = value;
    }

    public int Count => 3;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("ConnectionId", ConnectionId),
        1 => new("Remote", Remote),
        2 => new("Principal", _principal),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// What a text provider prints for the scope (<c>IncludeScopes</c>). Without the id: Kestrel's own scope just
    /// outside this one prints <c>ConnectionId:…</c> already; structured providers get it from the pairs.
    /// </summary>
    public override string ToString() => _principal is { } principal ? $"from {Remote} as {principal}" : $"from {Remote}";
}

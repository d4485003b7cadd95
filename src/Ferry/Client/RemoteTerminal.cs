namespace Ferry.Client;

/// <summary>
/// The terminal a <see cref="RemoteCommand"/> runs on (<see cref="RemoteCommand.Terminal"/>), as with <c>ssh -t</c>: the
/// server starts it on a pseudo-terminal of this size, its output comes as one stream (standard output) and its input
/// is keystrokes. Call <see cref="Resize"/> when the local window changes; the remote command gets SIGWINCH.
/// </summary>
public sealed class RemoteTerminal
{
    private readonly Lock _lock = new();
    private Action? _changed;

    /// <param name="columns">Width, 1 to 10000.</param>
    /// <param name="rows">Height, 1 to 10000.</param>
    /// <param name="term">The <c>TERM</c> the remote command sees (the local one); null for <c>xterm</c>.</param>
    public RemoteTerminal(int columns, int rows, string? term = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        Columns = columns;
        Rows = rows;
        Term = term;
    }

    /// <summary>Width in columns, as last set.</summary>
    public int Columns { get; private set; }

    /// <summary>Height in rows, as last set.</summary>
    public int Rows { get; private set; }

    /// <summary>The <c>TERM</c> the remote command sees; null for the server's default (<c>xterm</c>).</summary>
    public string? Term { get; }

    /// <summary>Sets a new size; while the command runs it is sent to the server (<c>exec.resize</c>) at once.</summary>
    public void Resize(int columns, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        Action? changed;
        lock (_lock)
        {
            if (columns == Columns && rows == Rows) return;
            Columns = columns;
            Rows = rows;
            changed = _changed;
        }
        changed?.Invoke();
    }

    internal (int Columns, int Rows) Size
    {
        get
        {
            lock (_lock) return (Columns, Rows);
        }
    }

    internal void OnChanged(Action? changed)
    {
        lock (_lock) _changed = changed;
    }
}

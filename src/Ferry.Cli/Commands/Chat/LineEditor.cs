using System.Text;
using System.Threading.Channels;

namespace Ferry.Cli.Commands.Chat;

/// <summary>
/// A small terminal line editor that never blocks output: keys are read on a background task, and
/// <see cref="WriteAbove"/> prints a line above the input line and redraws the half-typed text and cursor as they
/// were. Supports ←/→, Home/End (Ctrl+A/E), Backspace/Delete, Ctrl+U, Ctrl+W, ↑/↓ history, Ctrl+C/Ctrl+D to quit.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2213", Justification = "_out is the terminal's writer, borrowed from the caller; the editor only clears its line on Dispose.")]
internal sealed class LineEditor : IDisposable
{
    private readonly TextWriter _out;
    private readonly string _prompt;
    private readonly object _gate = new();
    private readonly StringBuilder _line = new();
    private readonly List<string> _history = [];
    private readonly Channel<string?> _lines = Channel.CreateUnbounded<string?>();
    private readonly bool _oldTreatCtrlC;
    private int _cursor;
    private int _historyIndex;
    private volatile bool _stopped;

    public LineEditor(TextWriter output, string prompt)
    {
        _out = output;
        _prompt = prompt;
        _oldTreatCtrlC = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
        var thread = new Thread(ReadKeys) { IsBackground = true, Name = "ferry chat keys" };
        thread.Start();
        lock (_gate) Redraw();
    }

    /// <summary>The next line typed, or null when the user quits (Ctrl+D on an empty line, Ctrl+C).</summary>
    public async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _lines.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>Prints <paramref name="text"/> above the input line, which stays as it was.</summary>
    public void WriteAbove(string text)
    {
        lock (_gate)
        {
            _out.Write("\r\u001b[2K");
            _out.Write(text);
            _out.Write("\r\n");
            Redraw();
        }
    }

    private void ReadKeys()
    {
        while (!_stopped)
        {
            ConsoleKeyInfo key;
            try
            {
                key = Console.ReadKey(intercept: true);
            }
            catch (InvalidOperationException)
            {
                _lines.Writer.TryComplete();
                return;
            }
            lock (_gate)
            {
                if (!OnKey(key))
                {
                    _lines.Writer.TryComplete();
                    return;
                }
                Redraw();
            }
        }
    }

    // Returns false to quit.
    private bool OnKey(ConsoleKeyInfo key)
    {
        bool ctrl = (key.Modifiers & ConsoleModifiers.Control) != 0;
        switch (key.Key)
        {
            case ConsoleKey.Enter:
                var line = _line.ToString();
                _line.Clear();
                _cursor = 0;
                if (line.Length > 0 && (_history.Count == 0 || _history[^1] != line)) _history.Add(line);
                _historyIndex = _history.Count;
                _lines.Writer.TryWrite(line);
                return true;
            case ConsoleKey.Backspace:
                if (_cursor > 0) _line.Remove(--_cursor, 1);
                return true;
            case ConsoleKey.Delete:
                if (_cursor < _line.Length) _line.Remove(_cursor, 1);
                return true;
            case ConsoleKey.LeftArrow:
                if (_cursor > 0) _cursor--;
                return true;
            case ConsoleKey.RightArrow:
                if (_cursor < _line.Length) _cursor++;
                return true;
            case ConsoleKey.Home:
                _cursor = 0;
                return true;
            case ConsoleKey.End:
                _cursor = _line.Length;
                return true;
            case ConsoleKey.UpArrow:
                if (_historyIndex > 0) Recall(--_historyIndex);
                return true;
            case ConsoleKey.DownArrow:
                if (_historyIndex < _history.Count) _historyIndex++;
                if (_historyIndex == _history.Count) Replace("");
                else Recall(_historyIndex);
                return true;
        }
        if (ctrl)
        {
            switch (key.Key)
            {
                case ConsoleKey.C:
                    return false;
                case ConsoleKey.D:
                    if (_line.Length == 0) return false;
                    if (_cursor < _line.Length) _line.Remove(_cursor, 1);
                    return true;
                case ConsoleKey.A:
                    _cursor = 0;
                    return true;
                case ConsoleKey.E:
                    _cursor = _line.Length;
                    return true;
                case ConsoleKey.U:
                    _line.Remove(0, _cursor);
                    _cursor = 0;
                    return true;
                case ConsoleKey.W:
                    int start = _cursor;
                    while (start > 0 && _line[start - 1] == ' ') start--;
                    while (start > 0 && _line[start - 1] != ' ') start--;
                    _line.Remove(start, _cursor - start);
                    _cursor = start;
                    return true;
            }
            return true;
        }
        if (key.KeyChar == '\u0004' && _line.Length == 0) return false; // Ctrl+D where the modifier is not reported
        if (key.KeyChar == '\u0003') return false;
        if (!char.IsControl(key.KeyChar) && key.KeyChar != '\0')
        {
            _line.Insert(_cursor++, key.KeyChar);
        }
        return true;
    }

    private void Recall(int index) => Replace(_history[index]);

    private void Replace(string text)
    {
        _line.Clear().Append(text);
        _cursor = _line.Length;
    }

    // Prompt + the part of the line that fits, scrolled so the cursor is visible; then the cursor put back.
    private void Redraw()
    {
        int width = 80;
        try
        {
            width = Math.Max(20, Console.WindowWidth);
        }
        catch (IOException)
        {
            // Not a real terminal; assume 80 columns.
        }
        int room = width - _prompt.Length - 1;
        int offset = _cursor > room ? _cursor - room : 0;
        int length = Math.Min(_line.Length - offset, room);
        _out.Write("\r\u001b[2K");
        _out.Write(_prompt);
        _out.Write(_line.ToString(offset, length));
        _out.Write('\r');
        int column = _prompt.Length + _cursor - offset;
        if (column > 0) _out.Write($"\u001b[{column}C");
        _out.Flush();
    }

    public void Dispose()
    {
        _stopped = true;
        lock (_gate)
        {
            _out.Write("\r\u001b[2K");
            _out.Flush();
        }
        Console.TreatControlCAsInput = _oldTreatCtrlC;
    }
}

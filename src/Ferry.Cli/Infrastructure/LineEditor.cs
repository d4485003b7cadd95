using System.Text;

namespace Ferry.Cli.Infrastructure;

/// <summary>
/// The one line editor of the CLI, for <c>ferry shell</c> in line mode and <c>ferry chat</c>: the keys and the drawing,
/// with no I/O of its own (the caller reads keys and writes what <see cref="Render"/> returns), so both commands get
/// the same keys: ←/→, Home/End (Ctrl+A/E), Backspace/Delete, Ctrl+U (to the start), Ctrl+K (to the end), Ctrl+W (the
/// word before the cursor), ↑/↓ history, Enter; Ctrl+D deletes under the cursor or, on an empty line, ends input;
/// Ctrl+C is the caller's to decide (<see cref="Outcome.Interrupt"/>). A line wider than the terminal scrolls
/// sideways within one row so the cursor stays in view: it is never wrapped, so redrawing it on each key rewrites one
/// row instead of reprinting the whole line below itself.
/// </summary>
internal sealed class LineEditor(string prompt)
{
    private const int MaxHistory = 500;
    private readonly StringBuilder _line = new();
    private readonly List<string> _history = [];
    private int _cursor;
    private int _recall;

    /// <summary>What a key did.</summary>
    public enum Outcome
    {
        /// <summary>The line changed or the cursor moved (or nothing happened): draw it again.</summary>
        Editing,

        /// <summary>Enter: the line is done (<see cref="OnKey"/>'s <c>line</c>); the editor is empty again.</summary>
        Line,

        /// <summary>Ctrl+D on an empty line: no more input.</summary>
        End,

        /// <summary>Ctrl+C: the line is dropped; the caller stops a command, or quits.</summary>
        Interrupt,
    }

    /// <summary>Shown before the line; may change between lines (the shell's shows its folder).</summary>
    public string Prompt { get; set; } = prompt;

    /// <summary>The text typed so far.</summary>
    public string Text => _line.ToString();

    /// <summary>Where the cursor is, in characters from the start of the line.</summary>
    public int Cursor => _cursor;

    /// <summary>Applies one key; <paramref name="line"/> is the finished line when the outcome is <see cref="Outcome.Line"/>.</summary>
    public Outcome OnKey(ConsoleKeyInfo key, out string? line)
    {
        line = null;
        bool ctrl = (key.Modifiers & ConsoleModifiers.Control) != 0;
        // Terminals report Ctrl+letter as the control character; some runtimes leave the modifier out.
        char control = key.KeyChar is >= '\u0001' and <= '\u001a' ? (char)('A' + key.KeyChar - 1) : '\0';
        if (ctrl && key.Key is >= ConsoleKey.A and <= ConsoleKey.Z) control = (char)('A' + (key.Key - ConsoleKey.A));
        if (key.Key == ConsoleKey.Enter || key.KeyChar is '\r' or '\n')
        {
            line = _line.ToString();
            if (line.Trim().Length > 0 && (_history.Count == 0 || _history[^1] != line))
            {
                _history.Add(line);
                if (_history.Count > MaxHistory) _history.RemoveAt(0);
            }
            Replace("");
            _recall = _history.Count;
            return Outcome.Line;
        }
        switch (key.Key)
        {
            case ConsoleKey.Backspace:
                if (_cursor > 0) _line.Remove(--_cursor, 1);
                return Outcome.Editing;
            case ConsoleKey.Delete:
                if (_cursor < _line.Length) _line.Remove(_cursor, 1);
                return Outcome.Editing;
            case ConsoleKey.LeftArrow:
                if (_cursor > 0) _cursor--;
                return Outcome.Editing;
            case ConsoleKey.RightArrow:
                if (_cursor < _line.Length) _cursor++;
                return Outcome.Editing;
            case ConsoleKey.Home:
                _cursor = 0;
                return Outcome.Editing;
            case ConsoleKey.End:
                _cursor = _line.Length;
                return Outcome.Editing;
            case ConsoleKey.UpArrow:
                if (_recall > 0) Replace(_history[--_recall]);
                return Outcome.Editing;
            case ConsoleKey.DownArrow:
                if (_recall < _history.Count) _recall++;
                Replace(_recall < _history.Count ? _history[_recall] : "");
                return Outcome.Editing;
        }
        switch (control)
        {
            case 'C':
                Replace("");
                _recall = _history.Count;
                return Outcome.Interrupt;
            case 'D':
                if (_line.Length == 0) return Outcome.End;
                if (_cursor < _line.Length) _line.Remove(_cursor, 1);
                return Outcome.Editing;
            case 'A':
                _cursor = 0;
                return Outcome.Editing;
            case 'E':
                _cursor = _line.Length;
                return Outcome.Editing;
            case 'U':
                _line.Remove(0, _cursor);
                _cursor = 0;
                return Outcome.Editing;
            case 'K':
                _line.Remove(_cursor, _line.Length - _cursor);
                return Outcome.Editing;
            case 'W':
                int start = _cursor;
                while (start > 0 && _line[start - 1] == ' ') start--;
                while (start > 0 && _line[start - 1] != ' ') start--;
                _line.Remove(start, _cursor - start);
                _cursor = start;
                return Outcome.Editing;
            case 'H': // Backspace as ^H
                if (_cursor > 0) _line.Remove(--_cursor, 1);
                return Outcome.Editing;
        }
        if (key.KeyChar != '\0' && !char.IsControl(key.KeyChar)) _line.Insert(_cursor++, key.KeyChar);
        return Outcome.Editing;
    }

    /// <summary>
    /// The row as it should look on a terminal <paramref name="width"/> columns wide: cleared, the prompt, the part of
    /// the line that fits (scrolled so the cursor is visible), then the cursor put back in place.
    /// </summary>
    public string Render(int width)
    {
        width = Math.Max(20, width);
        // A prompt wider than half the row (the shell's shows a long folder) keeps its end: the row is for typing.
        var prompt = Prompt.Length <= width / 2 ? Prompt : "..." + Prompt[^(width / 2 - 3)..];
        int room = Math.Max(1, width - prompt.Length - 1);
        int offset = _cursor > room ? _cursor - room : 0;
        int length = Math.Min(_line.Length - offset, room);
        var row = new StringBuilder("\r\u001b[2K").Append(prompt).Append(_line, offset, length).Append('\r');
        int column = prompt.Length + _cursor - offset;
        if (column > 0) row.Append("\u001b[").Append(column).Append('C');
        return row.ToString();
    }

    /// <summary>Clears the row (before printing something else on it).</summary>
    public static string ClearRow => "\r\u001b[2K";

    /// <summary>The width of the terminal on stdout, or 80 when it cannot be told.</summary>
    public static int TerminalWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }

    private void Replace(string text)
    {
        _line.Clear().Append(text);
        _cursor = _line.Length;
    }
}

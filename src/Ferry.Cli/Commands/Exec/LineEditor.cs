using System.Text;

namespace Ferry.Cli.Commands.Exec;

/// <summary>
/// A small line editor for the interactive shell on a terminal: left/right, Home/End, Backspace/Delete, Ctrl+A/E/U/K,
/// and history on up/down. Ctrl+D on an empty line ends input; Ctrl+C abandons the line.
/// </summary>
internal sealed class LineEditor
{
    private const int MaxHistory = 500;
    private readonly List<string> _history = [];

    /// <summary>Reads one line after showing <paramref name="prompt"/>; null at end of input.</summary>
    public string? ReadLine(string prompt)
    {
        var line = new StringBuilder();
        int cursor = 0;
        int recall = _history.Count;
        Console.Write(prompt);
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            bool ctrl = (key.Modifiers & ConsoleModifiers.Control) != 0;
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    var text = line.ToString();
                    if (text.Trim().Length > 0 && (_history.Count == 0 || _history[^1] != text))
                    {
                        _history.Add(text);
                        if (_history.Count > MaxHistory) _history.RemoveAt(0);
                    }
                    return text;
                case ConsoleKey.Backspace when cursor > 0:
                    line.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete when cursor < line.Length:
                    line.Remove(cursor, 1);
                    break;
                case ConsoleKey.LeftArrow when cursor > 0:
                    cursor--;
                    break;
                case ConsoleKey.RightArrow when cursor < line.Length:
                    cursor++;
                    break;
                case ConsoleKey.Home:
                case ConsoleKey.A when ctrl:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                case ConsoleKey.E when ctrl:
                    cursor = line.Length;
                    break;
                case ConsoleKey.U when ctrl:
                    line.Remove(0, cursor);
                    cursor = 0;
                    break;
                case ConsoleKey.K when ctrl:
                    line.Remove(cursor, line.Length - cursor);
                    break;
                case ConsoleKey.D when ctrl:
                    if (line.Length == 0)
                    {
                        Console.WriteLine();
                        return null;
                    }
                    if (cursor < line.Length) line.Remove(cursor, 1);
                    break;
                case ConsoleKey.C when ctrl:
                    Console.WriteLine("^C");
                    return "";
                case ConsoleKey.UpArrow when recall > 0:
                    recall--;
                    line.Clear().Append(_history[recall]);
                    cursor = line.Length;
                    break;
                case ConsoleKey.DownArrow when recall < _history.Count:
                    recall++;
                    line.Clear().Append(recall < _history.Count ? _history[recall] : "");
                    cursor = line.Length;
                    break;
                default:
                    if (key.KeyChar != '\0' && !char.IsControl(key.KeyChar))
                    {
                        line.Insert(cursor++, key.KeyChar);
                    }
                    break;
            }
            Redraw(prompt, line, cursor);
        }
    }

    // Rewrites the whole line (prompt included) and puts the cursor back: simple, and right for any edit.
    private static void Redraw(string prompt, StringBuilder line, int cursor)
    {
        var output = new StringBuilder().Append('\r').Append(prompt).Append(line).Append("\u001b[K");
        int back = line.Length - cursor;
        if (back > 0) output.Append("\u001b[").Append(back).Append('D');
        Console.Write(output.ToString());
    }
}

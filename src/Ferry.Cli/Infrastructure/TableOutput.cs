using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Ferry.Cli.Infrastructure;

/// <summary>
/// Writes a table the way its reader needs it: with box-drawing borders on a terminal, and as plain columns
/// aligned with spaces when standard output is a pipe or a file (like <c>ls -l</c> and <c>ps</c>), so
/// <c>grep</c>, <c>awk</c> and <c>cut</c> see words, not <c>│</c>. No line is ever wrapped in a pipe.
/// </summary>
internal static class TableOutput
{
    private const string Gap = "  ";

    /// <summary>Writes <paramref name="table"/> to the command's standard output.</summary>
    public static void WriteTable(this CliContext cli, Table table) => cli.Console.WriteTable(table, plain: !cli.StdOutIsTerminal);

    /// <summary>Writes <paramref name="table"/> to <paramref name="console"/>: plain columns when <paramref name="plain"/>.</summary>
    public static void WriteTable(this IAnsiConsole console, Table table, bool plain)
    {
        if (!plain)
        {
            console.Write(table);
            return;
        }
        console.Profile.Out.Writer.Write(Plain(table));
        console.Profile.Out.Writer.Flush();
    }

    /// <summary>The table as text: a header line, then one line per row; columns two spaces apart, no borders, no colour.</summary>
    internal static string Plain(Table table)
    {
        var right = table.Columns.Select(c => c.Alignment == Justify.Right).ToArray();
        var lines = new List<string[]>();
        if (table.ShowHeaders) lines.Add([.. table.Columns.Select(c => Text(c.Header))]);
        foreach (var row in table.Rows) lines.Add([.. row.Select(Text)]);
        var widths = new int[right.Length];
        foreach (var line in lines)
        {
            for (int i = 0; i < line.Length && i < widths.Length; i++) widths[i] = Math.Max(widths[i], line[i].Length);
        }
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            var cells = new StringBuilder();
            for (int i = 0; i < line.Length && i < widths.Length; i++)
            {
                if (i > 0) cells.Append(Gap);
                bool last = i == line.Length - 1;
                cells.Append(right[i] ? line[i].PadLeft(widths[i]) : last ? line[i] : line[i].PadRight(widths[i]));
            }
            text.Append(cells.ToString().TrimEnd()).Append('\n');
        }
        return text.ToString();
    }

    // A cell is markup or any renderable: render it alone on a colourless, unbounded console and keep the text.
    // A cell of several lines becomes one, its lines joined with "; ", so every row stays one line.
    private static string Text(IRenderable cell)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 100_000;
        console.Write(cell);
        var lines = writer.ToString().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return string.Join("; ", lines);
    }
}

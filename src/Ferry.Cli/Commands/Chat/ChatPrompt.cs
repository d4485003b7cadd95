using System.Threading.Channels;
using Ferry.Cli.Infrastructure;

namespace Ferry.Cli.Commands.Chat;

/// <summary>
/// The chat's input row, which never blocks output: keys are read on a thread of their own into the CLI's one
/// <see cref="LineEditor"/>, and <see cref="WriteAbove"/> prints a line above the input row, then draws the half-typed
/// text and cursor again as they were. Ctrl+C and Ctrl+D on an empty line quit.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2213", Justification = "_out is the terminal's writer, borrowed from the caller; the prompt only clears its row on Dispose.")]
internal sealed class ChatPrompt : IDisposable
{
    private readonly TextWriter _out;
    private readonly object _gate = new();
    private readonly LineEditor _editor;
    private readonly Channel<string?> _lines = Channel.CreateUnbounded<string?>();
    private readonly bool _oldTreatCtrlC;
    private volatile bool _stopped;

    public ChatPrompt(TextWriter output, string prompt)
    {
        _out = output;
        _editor = new LineEditor(prompt);
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

    /// <summary>Prints <paramref name="text"/> above the input row, which stays as it was.</summary>
    public void WriteAbove(string text)
    {
        lock (_gate)
        {
            _out.Write(LineEditor.ClearRow);
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
                switch (_editor.OnKey(key, out var line))
                {
                    case LineEditor.Outcome.Line:
                        _lines.Writer.TryWrite(line);
                        break;
                    case LineEditor.Outcome.End:
                    case LineEditor.Outcome.Interrupt:
                        _lines.Writer.TryComplete();
                        return;
                }
                Redraw();
            }
        }
    }

    private void Redraw()
    {
        _out.Write(_editor.Render(LineEditor.TerminalWidth()));
        _out.Flush();
    }

    public void Dispose()
    {
        _stopped = true;
        lock (_gate)
        {
            _out.Write(LineEditor.ClearRow);
            _out.Flush();
        }
        Console.TreatControlCAsInput = _oldTreatCtrlC;
    }
}

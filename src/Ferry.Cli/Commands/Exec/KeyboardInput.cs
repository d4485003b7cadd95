namespace Ferry.Cli.Commands.Exec;

/// <summary>
/// The local terminal's keystrokes as the input stream of a remote terminal session, read straight from fd 0 with a
/// blocking read on a thread of its own. Why not a pipe from a reader thread to the stdin pump: each key would then wake
/// a second thread before it is sent. Here the read that a <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>
/// waits for completes on the reading thread with its continuations run there, so the pump's send (which completes at
/// once while the socket has room) happens on the thread that read the key, and the pump's next read, called on that
/// same thread, simply blocks there. Only when a send really waits does the pump leave the thread; its next read then
/// starts a new one. A read blocked in fd 0 when the session ends is abandoned (the thread dies with the process).
/// </summary>
internal sealed class KeyboardInput : Stream
{
    [ThreadStatic]
    private static bool t_isReader;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException("keystrokes have no length");

    public override long Position
    {
        get => throw new NotSupportedException("keystrokes have no position");
        set => throw new NotSupportedException("keystrokes have no position");
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (t_isReader) return new ValueTask<int>(ReadNow(buffer));
        // Continuations run synchronously (no RunContinuationsAsynchronously): the awaiting pump goes on on the reader.
        var read = new TaskCompletionSource<int>();
        var thread = new Thread(() =>
        {
            t_isReader = true;
            try
            {
                read.SetResult(ReadNow(buffer));
            }
            catch (Exception ex)
            {
                read.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "ferry keys",
        };
        thread.Start();
        return new ValueTask<int>(read.Task);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadNow(buffer.AsMemory(offset, count));

    // 0 at the end of input (or an error reading it): the pump then sends the terminal's EOF.
    private static int ReadNow(Memory<byte> buffer) => Math.Max(0, LocalTerminal.ReadKeys(buffer.Span));

    public override void Flush()
    {
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("keystrokes are read, not written");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("keystrokes cannot seek");

    public override void SetLength(long value) => throw new NotSupportedException("keystrokes have no length");
}

using System.IO.Pipelines;
using Ferry.Connections;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Connections;

/// <summary>
/// Issue 14 item 2 at the connection's own level: a frame body's handle owns the writer only until its one
/// completion. A stale handle (disposed after completing, disposed twice, written late) must not touch the frame
/// another request has begun since.
/// </summary>
public class FrameBodyOwnershipTests
{
    private static (FrameConnection Connection, PipeReader Wire) Open()
    {
        var wire = new Pipe();
        var connection = new FrameConnection(new DuplexPipe(new Pipe().Reader, wire.Writer), () => { });
        return (connection, wire.Reader);
    }

    [Fact]
    public async Task Issue14_DisposingACompletedBodyLeavesTheNextFrameAlone()
    {
        var (connection, wire) = Open();
        await using var _ = connection;
        var first = await connection.BeginFrameAsync<object>("echo", 1, 3, null, null);
        await first.WriteAsync("abc"u8.ToArray());
        await first.CompleteAsync();

        var second = await connection.BeginFrameAsync<object>("echo", 2, 4, null, null);
        // The bug: this dispose completed the second frame (short), aborted the connection and released the lock twice.
        await first.DisposeAsync();
        await first.DisposeAsync();
        Assert.True(first.IsCompleted);
        Assert.Equal(0, first.Remaining);
        Assert.False(second.IsCompleted);
        Assert.Equal(4, second.Remaining);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await first.WriteAsync("x"u8.ToArray()));

        await second.WriteAsync("defg"u8.ToArray());
        await second.DisposeAsync();
        Assert.Equal(Ferry.Connections.CloseReason.None, connection.CloseReason);

        // The write lock was released exactly once per body: a third frame begins, and a plain send after it.
        var third = await connection.BeginFrameAsync<object>("echo", 3, 0, null, null).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        await third.CompleteAsync();
        await connection.SendAsync("ping", 4).AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        var frames = await ReadFramesAsync(wire, 4);
        Assert.Equal(["abc", "defg", "", ""], frames.Select(f => f.Body));
        Assert.Equal([1L, 2, 3, 4], frames.Select(f => f.Id));
    }

    [Fact]
    public async Task Issue14_AShortBodyAbortsOnceAndReleasesTheWriterOnce()
    {
        var (connection, _) = Open();
        await using var __ = connection;
        var body = await connection.BeginFrameAsync<object>("echo", 1, 10, null, null);
        await body.WriteAsync("abc"u8.ToArray());
        await Assert.ThrowsAsync<ConnectionClosedException>(async () => await body.CompleteAsync());
        await body.DisposeAsync();
        await body.CompleteAsync(); // finished already: nothing happens
        Assert.Equal(Ferry.Connections.CloseReason.Error, connection.CloseReason);
    }

    private static async Task<List<(long Id, string Body)>> ReadFramesAsync(PipeReader wire, int count)
    {
        var frames = new List<(long, string)>();
        while (frames.Count < count)
        {
            var result = await wire.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            var buffer = result.Buffer;
            while (true)
            {
                var reader = new System.Buffers.SequenceReader<byte>(buffer);
                if (!Ferry.Protocol.FrameCodec.TryReadHeader(ref reader, 64 * 1024, out var header)) break;
                if (reader.Remaining < header.Size) break;
                var body = buffer.Slice(reader.Position, header.Size);
                frames.Add((header.Id, System.Text.Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(body))));
                buffer = buffer.Slice(body.End);
            }
            wire.AdvanceTo(buffer.Start, buffer.End);
        }
        return frames;
    }
}

using System.Buffers;
using Microsoft.AspNetCore.Connections;
using Ferry.Contracts.Echo;

namespace Ferry.Services.Echo;

/// <summary>Unframed TCP echo (<c>ferry serve --tcp-echo PORT</c>): bytes in, the same bytes out, for <c>nc</c>.</summary>
internal static class RawTcpEchoHandler
{
    public static async Task OnConnectedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        try
        {
            while (true)
            {
                // No ConnectionClosed token here: it fires on the peer's FIN, which would drop the echo of a half-closed send.
                var result = await input.ReadAsync().ConfigureAwait(false);
                foreach (var segment in result.Buffer) output.Write(segment.Span);
                input.AdvanceTo(result.Buffer.End);
                var flush = await output.FlushAsync().ConfigureAwait(false);
                if (result.IsCompleted || flush.IsCompleted) break;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException || Connections.FrameConnection.IsTransportFailure(ex))
        {
            // The peer went away; that is how echo sessions end.
        }
        finally
        {
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }
}

using System.Buffers;
using Ferry.Server;
using Ferry.Contracts.Echo;

namespace Ferry.Services.Echo;

/// <summary>
/// The course's first program, framed: the reply carries the request's body back, upper-cased (ASCII letters only,
/// so binary and UTF-8 bytes stay intact) when asked. The body is streamed through, never held whole.
/// </summary>
public sealed class EchoService : IFerryService
{
    /// <summary>Answers <c>echo</c>, open to any authenticated peer.</summary>
    public void MapRoutes(ServiceRoutes routes) =>
        routes.Map(Protocol.MessageTypes.Echo, EchoJsonContext.Default.EchoRequest, static (context, echo) => EchoAsync(context, echo.Upper));

    private static async ValueTask EchoAsync(RequestContext request, bool upper)
    {
        var body = request.Body;
        var ct = request.CancellationToken;
        if (body.Length <= 16 * 1024 && !upper)
        {
            // Small message: it is already in the receive buffer, so answer with one write.
            var data = await body.ReadAsync(ct).ConfigureAwait(false);
            if (data.Length < body.Remaining)
            {
                // Not all of it arrived yet; stream it instead.
                await StreamAsync(request, upper).ConfigureAwait(false);
                return;
            }
            await request.ReplyAsync(request.Type, data, ct).ConfigureAwait(false);
            body.Advance(data.Length);
            return;
        }
        await StreamAsync(request, upper).ConfigureAwait(false);
    }

    private static async ValueTask StreamAsync(RequestContext request, bool upper)
    {
        var body = request.Body;
        var ct = request.CancellationToken;
        await using var reply = await request.BeginReplyAsync<object>(request.Type, body.Length, null, null, ct).ConfigureAwait(false);
        byte[]? scratch = upper ? ArrayPool<byte>.Shared.Rent(64 * 1024) : null;
        try
        {
            while (body.Remaining > 0)
            {
                var chunk = await body.ReadAsync(ct).ConfigureAwait(false);
                if (scratch is null)
                {
                    await reply.WriteAsync(chunk, ct).ConfigureAwait(false);
                    body.Advance(chunk.Length);
                    continue;
                }
                int n = (int)Math.Min(chunk.Length, scratch.Length);
                chunk.Slice(0, n).CopyTo(scratch);
                UpperAscii(scratch.AsSpan(0, n));
                await reply.WriteAsync(scratch.AsMemory(0, n), ct).ConfigureAwait(false);
                body.Advance(n);
            }
            await reply.CompleteAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Upper-cases ASCII a-z in place; every other byte is left alone.</summary>
    public static void UpperAscii(Span<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            if ((uint)(bytes[i] - 'a') <= 'z' - 'a') bytes[i] -= 32;
        }
    }
}

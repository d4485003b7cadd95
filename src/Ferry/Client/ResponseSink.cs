using System.Text.Json.Serialization.Metadata;
using Ferry.Connections;
using Ferry.Protocol;

namespace Ferry.Client;

/// <summary>
/// Waits for the single frame that answers a request: an <c>error</c> frame becomes a <see cref="FerryException"/>;
/// anything else is parsed as <typeparamref name="T"/>, with its body read into memory up to a limit.
/// </summary>
internal sealed class ResponseSink<T> : IResponseSink
{
    private readonly TaskCompletionSource<Response<T>> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly JsonTypeInfo<T>? _typeInfo;
    private readonly int _maxBody;

    public ResponseSink(JsonTypeInfo<T>? typeInfo, int maxBody = 64 * 1024 * 1024)
    {
        _typeInfo = typeInfo;
        _maxBody = maxBody;
    }

    public Task<Response<T>> Task => _result.Task;

    public async ValueTask OnFrameAsync(FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
    {
        try
        {
            if (ReferenceEquals(header.Type, MessageTypes.Error))
            {
                _result.TrySetException(ErrorFrames.ToException(header));
                return;
            }
            var payload = _typeInfo is null ? default : header.ReadPayload(_typeInfo);
            var bytes = await body.ReadAllAsync(_maxBody, cancellationToken).ConfigureAwait(false);
            _result.TrySetResult(new Response<T>(header.Type, payload, bytes));
        }
        catch (FerryException ex) when (ex is not ProtocolException)
        {
            _result.TrySetException(ex);
        }
    }

    public void Fail(Exception exception) => _result.TrySetException(exception);
}

/// <summary>A response frame: its type, parsed fields and body.</summary>
public readonly record struct Response<T>(string Type, T? Payload, byte[] Body);

/// <summary>Turns <c>error</c> frames into exceptions.</summary>
public static class ErrorFrames
{
    /// <summary>The error frame <paramref name="header"/> as an exception carrying its code and message.</summary>
    public static FerryException ToException(FrameHeader header)
    {
        ErrorMessage error;
        try
        {
            error = header.ReadPayload(ProtocolJsonContext.Default.ErrorMessage);
        }
        catch (FerryException)
        {
            return new FerryException(ProtocolError.Internal, "the server sent a malformed error frame");
        }
        _ = ProtocolErrorCodes.TryParse(error.Code, out var code);
        return new FerryException(code, string.IsNullOrEmpty(error.Message) ? error.Code : error.Message);
    }
}

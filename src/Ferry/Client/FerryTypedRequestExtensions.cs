using System.Text.Json.Serialization.Metadata;
using Ferry.Protocol;

namespace Ferry.Client;

/// <summary>
/// Typed requests: one request whose header fields are one record, one answer whose fields are another — the shape
/// of most custom services. Both go through source-generated
/// <see cref="JsonTypeInfo{T}"/> (a <c>JsonSerializerContext</c> of the caller's), so the call is trim- and AOT-clean.
/// </summary>
public static class FerryTypedRequestExtensions
{
    /// <summary>
    /// Sends <paramref name="request"/> as the fields of a <paramref name="type"/> frame and returns the answer's fields.
    /// An <c>error</c> answer throws <see cref="FerryException"/> with the server's code and message; so does an
    /// answer with a body (typed answers carry fields only, so a body means the peer is not the service expected:
    /// it is refused unread, never buffered). <see cref="FerryClientOptions.RequestTimeout"/> bounds the wait.
    /// </summary>
    /// <example>
    /// <code>
    /// var value = await client.CallAsync("kv.get", new KvGet("colour"), KvJson.Default.KvGet, KvJson.Default.KvValue, ct);
    /// </code>
    /// </example>
    public static async Task<TResponse> CallAsync<TRequest, TResponse>(this FerryClient client, string type, TRequest request,
        JsonTypeInfo<TRequest> requestInfo, JsonTypeInfo<TResponse> responseInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(requestInfo);
        ArgumentNullException.ThrowIfNull(responseInfo);
        var response = await client.ExchangeAsync(type, request, requestInfo, ReadOnlyMemory<byte>.Empty,
            new ResponseSink<TResponse>(responseInfo, maxBody: 0), cancellationToken).ConfigureAwait(false);
        return response.Payload ?? throw new FerryException(ProtocolError.BadRequest, $"the answer to '{type}' ('{response.Type}') had no fields");
    }
}

using Ferry.Protocol;
using Ferry.Contracts.Echo;

namespace Ferry.Client;

/// <summary>Echo from the client side.</summary>
public static class FerryEchoClientExtensions
{
    /// <summary>Sends <paramref name="message"/> and returns the server's reply (upper-cased ASCII when asked).</summary>
    public static async Task<byte[]> EchoAsync(this FerryClient client, ReadOnlyMemory<byte> message, bool upper = false, CancellationToken cancellationToken = default)
    {
        var response = await client.RequestAsync<EchoRequest, EchoRequest>(MessageTypes.Echo, new EchoRequest(upper),
            EchoJsonContext.Default.EchoRequest, null, message, cancellationToken).ConfigureAwait(false);
        return response.Body;
    }
}

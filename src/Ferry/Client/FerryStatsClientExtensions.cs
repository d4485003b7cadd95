using Ferry.Protocol;
using Ferry.Contracts.Stats;

namespace Ferry.Client;

/// <summary>Server statistics from the client side.</summary>
public static class FerryStatsClientExtensions
{
    /// <summary>Asks the server for its running totals (connections, requests, bytes, counters, memory).</summary>
    public static async Task<StatsResponse> GetStatsAsync(this FerryClient client, CancellationToken cancellationToken = default)
    {
        var response = await client.RequestAsync<object, StatsResponse>(MessageTypes.Stats, null, null,
            StatsJsonContext.Default.StatsResponse, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        return response.Payload ?? throw new FerryException(ProtocolError.BadRequest, "the server's stats response had no fields");
    }

    /// <summary>Writes <paramref name="stats"/> as JSON (the same shape as on the wire).</summary>
    public static string ToJson(this StatsResponse stats) =>
        System.Text.Json.JsonSerializer.Serialize(stats, StatsJsonContext.Default.StatsResponse);
}

// A custom Ferry service and its client, a key-value store (docs/library.md). 'kv serve DIR [PORT]' makes its key and
// certificate in DIR; 'kv DIR HOST:PORT get KEY' / '... set KEY VALUE' log in with DIR/key and trust the certificate.
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Serialization;
using Ferry.Client;
using Ferry.Protocol;
using Ferry.Server;

if (args is ["serve", var dir, ..])
{
    var options = new FerryServerOptions { DataDirectory = dir };
    options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, args.Length > 2 ? int.Parse(args[2]) : 0));
    var builder = new FerryServerBuilder(options);
    builder.AddService(new KvService());
    await using var server = builder.Build();
    await server.StartAsync();
    Console.WriteLine($"listening on {server.TcpEndPoint}");
    await server.WaitForShutdownAsync();
}
else if (args is [var home, var target, "get" or "set", var key, ..] && (args[2] == "get" || args.Length == 5))
{
    await using var client = await FerryClient.ConnectAsync(
        new FerryClientOptions(FerryTarget.Parse(target)) { KeyFile = Path.Combine(home, "key"), StateDirectory = home });
    var reply = args[2] == "set"
        ? await client.CallAsync("kv.set", new KvSet(key, args[4]), KvJson.Default.KvSet, KvJson.Default.KvValue)
        : await client.CallAsync("kv.get", new KvGet(key), KvJson.Default.KvGet, KvJson.Default.KvValue);
    Console.WriteLine(reply.Value ?? "(not set)");
}
else
{
    Console.Error.WriteLine("usage: kv serve DIR [PORT] | kv DIR HOST:PORT get KEY | kv DIR HOST:PORT set KEY VALUE");
    return 2;
}
return 0;

sealed class KvService : IFerryService
{
    private readonly ConcurrentDictionary<string, string> _values = new();
    public void MapRoutes(ServiceRoutes routes) => routes // no right named: any authenticated peer
        .Map("kv.get", KvJson.Default.KvGet, (context, get) => ReplyAsync(context, get.Key, null))
        .Map("kv.set", KvJson.Default.KvSet, (context, set) => ReplyAsync(context, set.Key, set.Value ?? throw Missing()));
    private ValueTask ReplyAsync(RequestContext context, string? key, string? value)
    {
        // Network input is hostile: a missing field is the client's mistake, answered bad_request (the connection stays).
        if (string.IsNullOrEmpty(key)) throw Missing();
        if (value is not null) _values[key] = value;
        return context.ReplyAsync(context.Type, new KvValue(key, _values.GetValueOrDefault(key)), KvJson.Default.KvValue, context.CancellationToken);
    }
    private static FerryException Missing() => new(ProtocolError.BadRequest, "'key' (and for kv.set 'value') is required");
}

record KvGet(string Key);
record KvSet(string Key, string? Value);
record KvValue(string Key, string? Value);
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(KvGet))]
[JsonSerializable(typeof(KvSet))]
[JsonSerializable(typeof(KvValue))]
partial class KvJson : JsonSerializerContext;

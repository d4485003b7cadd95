using System.Net;
using Ferry.Client;
using Ferry.Hosting;
using Ferry.Server;

namespace Ferry.Tests.Infrastructure;

/// <summary>
/// A real Ferry server on 127.0.0.1 port 0 with a throwaway state folder, and clients connected to it
/// through real sockets. Every test gets its own, so tests run in parallel without fixed ports.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly List<FerryClient> _clients = [];

    private TestServer(FerryServer server, FerryHostOptions options, string dataDirectory)
    {
        Server = server;
        Options = options;
        DataDirectory = dataDirectory;
    }

    public FerryServer Server { get; }

    public FerryHostOptions Options { get; }

    public string DataDirectory { get; }

    public IPEndPoint EndPoint => Server.TcpEndPoint!;

    public FerryTarget Target => new("127.0.0.1", EndPoint.Port);

    /// <summary>Starts a server; <paramref name="configure"/> adjusts the options before the build.</summary>
    public static async Task<TestServer> StartAsync(Action<FerryHostOptions>? configure = null, Action<FerryServerBuilder>? build = null)
    {
        var dataDirectory = TempDirectory.Create("ferry-server");
        var options = new FerryHostOptions();
        options.Server.DataDirectory = dataDirectory;
        options.Server.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        options.Server.ShutdownTimeout = TimeSpan.FromSeconds(5);
        configure?.Invoke(options);
        var builder = FerryHost.CreateBuilder(options);
        build?.Invoke(builder);
        var server = builder.Build();
        await server.StartAsync();
        return new TestServer(server, options, dataDirectory);
    }

    /// <summary>Client options that fit this server (transport security and credentials included).</summary>
    public FerryClientOptions ClientOptions() => new(Target) { Plaintext = Options.Server.Plaintext };

    /// <summary>Connects a client that is disposed with the server.</summary>
    public async Task<FerryClient> ConnectAsync(Action<FerryClientOptions>? configure = null)
    {
        var options = ClientOptions();
        configure?.Invoke(options);
        var client = await FerryClient.ConnectAsync(options);
        lock (_clients) _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        FerryClient[] clients;
        lock (_clients) clients = [.. _clients];
        foreach (var client in clients) await client.DisposeAsync();
        await Server.StopAsync();
        await Server.DisposeAsync();
        TempDirectory.TryDelete(DataDirectory);
    }
}

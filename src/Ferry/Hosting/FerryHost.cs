using Ferry.Datagrams;
using Ferry.Protocol;
using Ferry.Server;
using Ferry.Services.Echo;
using Ferry.Services.Stats;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Hosting;

/// <summary>The composition root: a server with every built-in service and side listener that the options switch on.</summary>
public static class FerryHost
{
    public static FerryServerBuilder CreateBuilder(FerryHostOptions options)
    {
        var builder = new FerryServerBuilder(options.Server);
        builder.Services.Map(MessageTypes.Echo, new EchoService());
        builder.Services.Map(MessageTypes.Stats, new StatsService(builder.Stats, options.Server.ServerName));

        if (options.TcpEcho is { } tcpEcho)
        {
            builder.AddListener("tcp-echo", tcpEcho, RawTcpEchoHandler.OnConnectedAsync);
        }
        if (options.UdpEcho is { } udpEcho)
        {
            builder.ConfigureServices(s => s.AddSingleton(sp => new UdpEchoListener(udpEcho, options.UdpEchoMaxDatagram,
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry.UdpEcho"))));
            builder.AddHostedService(sp => sp.GetRequiredService<UdpEchoListener>());
        }
        return builder;
    }

    /// <summary>Builds the server described by <paramref name="options"/>.</summary>
    public static FerryServer Build(FerryHostOptions options, Action<ILoggingBuilder>? logging = null)
    {
        var builder = CreateBuilder(options);
        if (logging is not null) builder.ConfigureLogging(logging);
        return builder.Build();
    }
}

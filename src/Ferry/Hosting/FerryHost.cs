using Ferry.Datagrams;
using Ferry.Protocol;
using Ferry.Security;
using Ferry.Server;
using Ferry.Contracts.Chat;
using Ferry.Services.Chat;
using Ferry.Contracts.Echo;
using Ferry.Services.Echo;
using Ferry.Contracts.Exec;
using Ferry.Services.Exec;
using Ferry.Contracts.Files;
using Ferry.Services.Files;
using Ferry.Transfers;
using Ferry.Contracts.Stats;
using Ferry.Services.Stats;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Hosting;

/// <summary>The composition root: a server with every built-in service and side listener that the options switch on.</summary>
public static class FerryHost
{
    /// <summary>
    /// A builder with every built-in service (echo, exec, files, chat, stats) and the side listeners the options switch
    /// on already added: what <c>ferry serve</c> runs. Add your own services before <see cref="FerryServerBuilder.Build"/>.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "A service given to AddService belongs to the builder and then the server, which disposes it (FerryServer.DisposeAsync); the chat service owns its hub.")]
    public static FerryServerBuilder CreateBuilder(FerryHostOptions options)
    {
        var builder = new FerryServerBuilder(options.Server);
        builder.AddService(new EchoService());
        var exec = new ExecService(options.Exec, options.Server.DataDirectory);
        builder.AddService(exec);
        if (options.Exec.Enabled) builder.AddHostedService(_ => new OrphanReaper());
        if (exec.ProcessLimit is { } limit)
        {
            builder.AddHostedService(sp => new ExecProcessLimitService(limit, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry.Exec")));
        }
        builder.AddService(new Services.Forward.ForwardService(options.Forward));
        IChatHub hub = options.ChatBackplane is { } backplane ? backplane(builder) : new ChatHub(options.Chat, options.Time);
        builder.AddService(new ChatService(hub));
        var files = new FilesService(options.Files, options.Server.DataDirectory);
        builder.AddService(files);
        builder.AddService(new StatsService(builder.Stats, options.Server.ServerName, options.ChatBackplane is null ? null : hub.DescribeClusterAsync));
        if (options.Files.PartLifetime is { } lifetime && lifetime > TimeSpan.Zero)
        {
            builder.AddHostedService(sp => new StalePartSweeper(files, lifetime, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry.Files")));
        }

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
        if (options.Ntp is { } ntp)
        {
            builder.ConfigureServices(s => s.AddSingleton(sp => new SntpServer(ntp, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry.Sntp"))));
            builder.AddHostedService(sp => sp.GetRequiredService<SntpServer>());
        }
        if (options.UdpChat.EndPoint is not null)
        {
            var udpChat = options.UdpChat;
            var keyFile = Path.Combine(options.Server.DataDirectory, "key");
            builder.ConfigureServices(s => s.AddSingleton(sp => new UdpChatRelay(udpChat, Ferry.Security.SharedKey.SharedKeyFile.LoadOrCreate(keyFile),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry.UdpChat"))));
            builder.AddHostedService(sp => sp.GetRequiredService<UdpChatRelay>());
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

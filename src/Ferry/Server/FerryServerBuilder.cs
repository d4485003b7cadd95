using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Ferry.Connections;
using Ferry.Server.Authentication;
using Microsoft.Extensions.Logging;

namespace Ferry.Server;

/// <summary>
/// Wires a Ferry server onto Kestrel's connection layer and the Generic Host: main framed endpoints,
/// extra raw listeners, hosted background components, logging and graceful shutdown.
/// </summary>
public sealed class FerryServerBuilder
{
    private readonly List<(string Name, EndPoint EndPoint, Func<ConnectionContext, Task> Handler)> _extraListeners = [];
    private readonly List<Func<IServiceProvider, IHostedService>> _hosted = [];
    private readonly List<Action<ListenOptions>> _mainMiddleware = [];
    private readonly List<Action<IServiceCollection>> _serviceConfigurators = [];
    private Action<ILoggingBuilder> _configureLogging = logging => logging.ClearProviders();

    /// <summary>A builder for a server with <paramref name="options"/>; add services, then <see cref="Build"/>.</summary>
    public FerryServerBuilder(FerryServerOptions options) => Options = options;

    /// <summary>The options the server will be built with.</summary>
    public FerryServerOptions Options { get; }

    /// <summary>The message-type routes every session uses, as the added services declared them.</summary>
    internal ServiceRegistry Routes { get; } = new();

    /// <summary>The services added so far, in order (for tests that reach a built-in service's state).</summary>
    internal List<IFerryService> AddedServices { get; } = [];

    /// <summary>
    /// Adds a service: its <see cref="IFerryService.MapRoutes"/> runs now and declares the message types it answers
    /// and the rights they need. Throws when a type is already mapped by another service. The server owns it from
    /// now on: a service that is <see cref="IAsyncDisposable"/> or <see cref="IDisposable"/> is disposed with the
    /// server, after every connection has ended.
    /// </summary>
    public FerryServerBuilder AddService(IFerryService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        service.MapRoutes(new ServiceRoutes(Routes));
        AddedServices.Add(service);
        return this;
    }

    /// <summary>The server's running totals; services bump their own counters through <see cref="ServerStats.Counter"/>.</summary>
    public ServerStats Stats { get; } = new();

    /// <summary>The authentication step, or null for none.</summary>
    public IServerAuthenticator? Authenticator { get; set; }

    /// <summary>Replaces the logging set-up (default: no logging).</summary>
    public FerryServerBuilder ConfigureLogging(Action<ILoggingBuilder> configure)
    {
        _configureLogging = configure;
        return this;
    }

    /// <summary>Adds connection middleware (such as TLS) in front of the main endpoints.</summary>
    public FerryServerBuilder UseOnMainEndpoints(Action<ListenOptions> configure)
    {
        _mainMiddleware.Add(configure);
        return this;
    }

    /// <summary>Adds a listener with its own raw connection handler (e.g. the raw TCP echo).</summary>
    public FerryServerBuilder AddListener(string name, EndPoint endPoint, Func<ConnectionContext, Task> handler)
    {
        _extraListeners.Add((name, endPoint, handler));
        return this;
    }

    /// <summary>Runs a component for the server's lifetime (e.g. a UDP listener).</summary>
    public FerryServerBuilder AddHostedService(Func<IServiceProvider, IHostedService> factory)
    {
        _hosted.Add(factory);
        return this;
    }

    /// <summary>Registers extra DI services for hosted components.</summary>
    public FerryServerBuilder ConfigureServices(Action<IServiceCollection> configure)
    {
        _serviceConfigurators.Add(configure);
        return this;
    }

    /// <summary>Makes the server: its TLS identity and key (created on first use), Kestrel listeners and services. Call <see cref="FerryServer.StartAsync"/> to bind.</summary>
    public FerryServer Build()
    {
        if (Options.Endpoints.Count == 0) Options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, FerryServerOptions.DefaultPort));
        // Secure by default: TLS (unless plaintext), the shared key and users, and the pre-auth caps.
        var security = ServerSecurity.Create(Options);
        Authenticator ??= new FerryAuthenticator(security);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();
        _configureLogging(builder.Logging);
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = Options.ShutdownTimeout;
            // A background component's fault is its own (SupervisedService restarts it); it never stops the host.
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore;
        });
        builder.Services.AddSingleton(_ => Stats); // a factory registration, so the host disposes it (and its meter)
        Stats.Observe(Routes);
        foreach (var configure in _serviceConfigurators) configure(builder.Services);
        foreach (var factory in _hosted)
        {
            builder.Services.AddSingleton<IHostedService>(sp => new SupervisedService(factory(sp),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry.Server"), Options));
        }

        var web = Options.Web;
        bool webHttps = web is not null && !web.PlainHttp && security.Certificate is not null;
        if (web is not null && !webHttps && !IPAddress.IsLoopback(web.EndPoint.Address))
        {
            throw new InvalidOperationException(
                $"refusing to serve the web page over plain HTTP on {web.EndPoint}, which is not a loopback address: anyone on the network could read and change it, and browsers keep WebCrypto (the page's login) from plain-HTTP pages there. Serve HTTPS (drop http:// and --plaintext), or bind --web to 127.0.0.1");
        }
        if (webHttps) builder.WebHost.UseKestrelHttpsConfiguration();
        ListenOptions? webListener = null;
        FerryConnectionHandler? sessions = null;

        var mainListeners = new List<ListenOptions>();
        var extraListeners = new List<(string, ListenOptions)>();
        builder.WebHost.UseKestrelCore();
        // Frames are small and handlers rarely block, so running socket continuations inline (instead of hopping
        // to the thread pool) saves a context switch per read; handlers that block use RequestContext.StartBackground.
        builder.WebHost.UseSockets(o =>
        {
            o.UnsafePreferInlineScheduling = Options.InlineScheduling;
            // Room for two body flushes (FrameConnection.FlushChunkBytes) in the socket's output pipe, so a bulk
            // sender fills the next chunk while the previous one is on the wire instead of waiting for each send.
            o.MaxWriteBufferSize = 2 * FrameConnection.FlushChunkBytes;
            // Receive may run up to 4 MiB ahead of a handler before the socket is paused: room for the 1 MiB batches
            // an upload writes to disk (PartFile.BatchBytes) while the next ones arrive. Memory is taken only
            // while a handler lags; idle connections hold no receive buffer at all.
            o.MaxReadBufferSize = 4 * 1024 * 1024;
        });
        // Kestrel's default 4 KiB blocks mean one receive call per 4 KiB of a bulk body; see LargeBlockMemoryPool.
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var loggers = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>();
            var env = new SessionEnvironment(Options, Routes, Authenticator, loggers.CreateLogger("Ferry.Server"), Options.ServerName)
            {
                Stats = Stats,
                Loggers = loggers,
            };
            var handler = new FerryConnectionHandler(env);
            sessions = handler;
            var securityLogger = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry.Security");
            foreach (var endPoint in Options.Endpoints)
            {
                Listen(kestrel, endPoint, listen =>
                {
                    security.ConfigureListener(listen, securityLogger);
                    foreach (var middleware in _mainMiddleware) middleware(listen);
                    listen.Run(handler.OnConnectedAsync);
                    mainListeners.Add(listen);
                });
            }
            if (web is not null)
            {
                kestrel.Listen(web.EndPoint, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    if (webHttps)
                    {
                        listen.UseHttps(new HttpsConnectionAdapterOptions
                        {
                            ServerCertificate = security.Certificate,
                            SslProtocols = SslProtocols.Tls13,
                            HandshakeTimeout = Options.HandshakeTimeout,
                        });
                    }
                    webListener = listen;
                });
            }
            foreach (var (name, endPoint, extraHandler) in _extraListeners)
            {
                Listen(kestrel, endPoint, listen =>
                {
                    listen.Run(extraHandler);
                    extraListeners.Add((name, listen));
                });
            }
        });
        var app = builder.Build();
        if (web is not null)
        {
            app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
            var frontend = new Web.WebFrontend(Web.WebAssets.Embedded, () => sessions!, security.Gate, webHttps,
                app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry.Web"), app.Lifetime.ApplicationStopping);
            app.Run(frontend.HandleAsync);
        }
        _ = app.Services.GetRequiredService<ServerStats>(); // resolved once so the container owns (and disposes) it
        return new FerryServer(app, mainListeners, extraListeners, Options, security.Certificate, [.. AddedServices],
            web is null ? null : () => (webListener?.IPEndPoint, webHttps));
    }

    private static void Listen(KestrelServerOptions kestrel, EndPoint endPoint, Action<ListenOptions> configure)
    {
        switch (endPoint)
        {
            case UnixDomainSocketEndPoint unix:
                var path = unix.ToString();
                // A socket file left by a crashed server would make bind fail; a live server would still answer.
                if (File.Exists(path) && !UnixSocketInUse(unix)) File.Delete(path);
                kestrel.ListenUnixSocket(path, configure);
                break;
            default:
                kestrel.Listen(endPoint, configure);
                break;
        }
    }

    private static bool UnixSocketInUse(UnixDomainSocketEndPoint endPoint)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(endPoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

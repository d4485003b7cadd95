using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;

namespace Ferry.Server;

/// <summary>A running (or ready to run) Ferry server. Build one with <see cref="FerryServerBuilder"/>.</summary>
public sealed class FerryServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<ListenOptions> _mainListeners;
    private readonly List<(string Name, ListenOptions Listener)> _extraListeners;
    private readonly IFerryService[] _services;
    private readonly Func<(IPEndPoint? EndPoint, bool Https)>? _web;

    internal FerryServer(WebApplication app, List<ListenOptions> mainListeners, List<(string, ListenOptions)> extraListeners, FerryServerOptions options,
        X509Certificate2? certificate, IFerryService[] services, Func<(IPEndPoint? EndPoint, bool Https)>? web = null)
    {
        _web = web;
        _services = services;
        Certificate = certificate;
        CertificateFingerprint = certificate is null ? null : Security.Tls.CertificateFingerprint.Of(certificate);
        _app = app;
        _mainListeners = mainListeners;
        _extraListeners = extraListeners;
        Options = options;
    }

    /// <summary>The options the server was built with.</summary>
    public FerryServerOptions Options { get; }

    /// <summary>The TLS certificate clients see; null when serving plaintext.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>The certificate's <c>SHA256:hex</c> fingerprint, as clients pin it; null when serving plaintext.</summary>
    public string? CertificateFingerprint { get; }

    /// <summary>The main endpoints as bound (port 0 replaced by the real port) once started.</summary>
    public IReadOnlyList<EndPoint> Endpoints => _mainListeners.Select(l => l.EndPoint).ToArray();

    /// <summary>The first TCP endpoint, as bound.</summary>
    public IPEndPoint? TcpEndPoint => _mainListeners.Select(l => l.EndPoint).OfType<IPEndPoint>().FirstOrDefault();

    /// <summary>The web page's endpoint as bound (<see cref="FerryServerOptions.Web"/>), once started; null without one.</summary>
    public IPEndPoint? WebEndPoint => _web?.Invoke().EndPoint;

    /// <summary>The web page's address, <c>https://127.0.0.1:7180/</c> (or <c>http://</c> on plain HTTP); null without one.</summary>
    public Uri? WebUrl => _web?.Invoke() is ({ } endPoint, var https) ? new Uri($"{(https ? "https" : "http")}://{endPoint}/") : null;

    /// <summary>An extra listener's bound endpoint by name (e.g. <c>tcp-echo</c>).</summary>
    public EndPoint? ExtraEndPoint(string name) => _extraListeners.FirstOrDefault(l => l.Name == name).Listener?.EndPoint;

    /// <summary>The application's services, for hosted components that expose state (e.g. UDP listeners).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Binds every endpoint and starts accepting. A busy port throws <see cref="IOException"/>.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    /// <summary>Stops accepting, asks sessions to finish, and aborts what is left after the shutdown timeout.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Completes when the host stops (Ctrl+C, SIGTERM, or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops the host if it runs, then disposes the services it was given (the ones that are disposable).</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync().ConfigureAwait(false);
        foreach (var service in _services)
        {
            if (service is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            else if (service is IDisposable disposable) disposable.Dispose();
        }
    }
}

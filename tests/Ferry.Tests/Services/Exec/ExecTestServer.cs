using Ferry.Contracts.Exec;
using Ferry.Services.Exec;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Services.Exec;

/// <summary>Starts test servers with exec switched on.</summary>
internal static class ExecTestServer
{
    public static Task<TestServer> StartAsync(Action<ExecOptions>? configure = null, Action<Ferry.Server.FerryServerBuilder>? build = null) =>
        TestServer.StartAsync(o =>
        {
            o.Exec.Enabled = true;
            configure?.Invoke(o.Exec);
        }, build);
}

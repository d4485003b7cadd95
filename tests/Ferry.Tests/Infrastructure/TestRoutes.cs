using Ferry.Server;

namespace Ferry.Tests.Infrastructure;

/// <summary>A service made of the routes a test maps, so one handler can be mapped under whatever type and right a test needs.</summary>
internal sealed class TestRoutes(Action<ServiceRoutes> map) : IFerryService
{
    public void MapRoutes(ServiceRoutes routes) => map(routes);
}

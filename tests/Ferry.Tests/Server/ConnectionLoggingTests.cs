using Ferry.Client;
using Ferry.Protocol;
using Ferry.Security;
using Ferry.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Ferry.Tests.Server;

/// <summary>
/// What an operator reads: every line written while serving a connection carries its scope (connection id, remote
/// address, and the user once logged in), and requests leave source-generated events with stable ids.
/// </summary>
public class ConnectionLoggingTests
{
    [Fact]
    public async Task RequestLinesCarryTheConnectionsScopeWithItsUser()
    {
        var log = new CapturingLoggerProvider();
        await using var server = await TestServer.StartPlaintextAsync(build: b => b.ConfigureLogging(l => l.AddProvider(log).SetMinimumLevel(LogLevel.Trace)));
        server.AddUser("reader", "correct horse", Rights.FilesRead);
        await using var client = await server.ConnectAsync(o =>
        {
            o.KeyFile = null;
            o.User = "reader";
            o.Password = "correct horse";
        });

        await client.EchoAsync("hi"u8.ToArray());
        var refused = await Assert.ThrowsAsync<FerryException>(() => client.ExecAsync("true"));
        Assert.Equal(ProtocolError.Forbidden, refused.Error);

        var started = Assert.Single(log.Scoped, e => e.Line.Contains("Request echo#", StringComparison.Ordinal) && e.Line.Contains("started", StringComparison.Ordinal));
        Assert.Matches(@"^ConnectionId:(\S+) => from 127\.0\.0\.1 as reader$", started.Scopes);
        var forbidden = Assert.Single(log.Scoped, e => e.Line.StartsWith("Information", StringComparison.Ordinal) && e.Line.Contains("forbidden", StringComparison.Ordinal));
        Assert.Contains("reader lacks the 'exec' right", forbidden.Line);
        Assert.Equal(started.Scopes, forbidden.Scopes);
        // Before the login the scope already names the connection, without a user.
        var opened = Assert.Single(log.Scoped, e => e.Line.Contains(" opened", StringComparison.Ordinal));
        Assert.Equal(started.Scopes.Replace(" as reader", "", StringComparison.Ordinal), opened.Scopes);
    }
}

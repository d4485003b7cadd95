using Ferry.Client;
using Ferry.Protocol;
using Ferry.Security;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Abuse;

/// <summary>
/// Issue 14: nothing capped authenticated connections, per user or in all. A login past a cap is refused with
/// <c>busy</c> naming the cap, and the slot comes back when a connection closes.
/// </summary>
public sealed class ConnectionCapTests
{
    [Fact]
    public async Task LoginsPastThePerUserCapAreBusyAndOtherUsersStillGetIn()
    {
        await using var server = await TestServer.StartAsync(o => o.Server.MaxConnectionsPerUser = 2);
        server.AddUser("ann", "ann's password", Rights.Chat);
        var first = await FerryClient.ConnectAsync(server.UserOptions("ann", "ann's password"));
        await using var second = await FerryClient.ConnectAsync(server.UserOptions("ann", "ann's password"));

        var refused = await Assert.ThrowsAsync<FerryException>(() => FerryClient.ConnectAsync(server.UserOptions("ann", "ann's password")));
        Assert.Equal(ProtocolError.Busy, refused.Error);
        Assert.Contains("'ann' already has 2 connections", refused.Message);
        Assert.Contains("--max-connections-per-user cap is 2", refused.Message);

        await using var key = await server.ConnectAsync(); // the user 'key' has its own count
        Assert.Equal("in"u8.ToArray(), await key.EchoAsync("in"u8.ToArray()));

        await first.DisposeAsync();
        await using var again = await RetryAsync(() => FerryClient.ConnectAsync(server.UserOptions("ann", "ann's password")));
        Assert.Equal("ann", again.Authentication!.User);
    }

    [Fact]
    public async Task LoginsPastTheServerCapAreBusy()
    {
        await using var server = await TestServer.StartAsync(o => o.Server.MaxConnections = 2);
        var first = await server.ConnectAsync();
        await server.ConnectAsync();
        var refused = await Assert.ThrowsAsync<FerryException>(() => server.ConnectAsync());
        Assert.Equal(ProtocolError.Busy, refused.Error);
        Assert.Contains("already has 2 authenticated connections", refused.Message);
        Assert.Contains("--max-connections cap is 2", refused.Message);
        await first.DisposeAsync();
        await RetryAsync(() => server.ConnectAsync());
    }

    // The server gives a slot back when it has finished with the closed connection, a moment after the client let go.
    private static async Task<FerryClient> RetryAsync(Func<Task<FerryClient>> connect)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            try
            {
                return await connect();
            }
            catch (FerryException ex) when (ex.Error == ProtocolError.Busy && !deadline.IsCancellationRequested)
            {
                await Task.Delay(20);
            }
        }
    }
}

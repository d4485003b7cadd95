using Ferry.Client;
using Ferry.Connections;
using Ferry.Protocol;
using Ferry.Security;
using Ferry.Server;

namespace Ferry.Tests.Services.Exec;

/// <summary>
/// Test-only: accepts whichever frame comes first after hello as "authentication" and grants a fixed principal, so
/// tests can connect as someone without a right. It advertises no methods, so today's client connects without knowing it.
/// </summary>
internal sealed class FixedPrincipalAuthenticator(Principal principal) : IServerAuthenticator
{
    public string[] Methods => [];

    public async ValueTask<Principal?> OnFrameAsync(ServerSession session, FrameHeader header, FrameBodyReader body, CancellationToken cancellationToken)
    {
        await session.Connection.SendAsync(MessageTypes.AuthOk, header.Id, cancellationToken);
        return principal;
    }

    /// <summary>Sends the frame this authenticator takes as authentication.</summary>
    public static Task AuthenticateAsync(FerryClient client) =>
        client.RequestAsync<object, object>(MessageTypes.Ping, null, null, null, ReadOnlyMemory<byte>.Empty);
}

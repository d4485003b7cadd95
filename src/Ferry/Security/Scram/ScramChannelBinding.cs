namespace Ferry.Security.Scram;

/// <summary>
/// The channel the exchange is bound to: over TLS, <c>tls-server-end-point</c> with the server certificate's
/// SHA-256 (as PostgreSQL's SCRAM-SHA-256-PLUS does); without TLS, none.
/// </summary>
internal sealed record ScramChannelBinding(string? Type, byte[] Data)
{
    public const string TlsServerEndPoint = "tls-server-end-point";

    public static ScramChannelBinding None { get; } = new(null, []);

    public static ScramChannelBinding ForServerCertificateHash(byte[] hash) => new(TlsServerEndPoint, hash);

    /// <summary>The GS2 header the client sends: <c>p=tls-server-end-point,,</c> or <c>n,,</c>.</summary>
    public string Gs2Header => Type is null ? "n,," : $"p={Type},,";

    /// <summary>The value of the client-final <c>c=</c> attribute.</summary>
    public string ExpectedC => Convert.ToBase64String([.. System.Text.Encoding.ASCII.GetBytes(Gs2Header), .. Data]);
}

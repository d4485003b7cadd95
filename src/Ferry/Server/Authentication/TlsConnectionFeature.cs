namespace Ferry.Server.Authentication;

/// <summary>Marks a connection as running inside TLS (and with which cipher suite).</summary>
internal sealed record TlsConnectionFeature(string CipherSuite);

namespace Ferry.Security.Scram;

/// <summary>A SCRAM verifier as stored by the server: salt, iteration count, StoredKey and ServerKey.</summary>
public sealed record ScramCredential(byte[] Salt, int Iterations, byte[] StoredKey, byte[] ServerKey);

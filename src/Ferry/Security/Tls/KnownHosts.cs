namespace Ferry.Security.Tls;

/// <summary>
/// The client's list of accepted server certificates, one <c>HOST:PORT SHA256:hex</c> line per server, like
/// ssh's known_hosts. Lines starting with <c>#</c> are comments. Updates rewrite the file atomically.
/// </summary>
internal sealed class KnownHosts
{
    private readonly string _path;

    public KnownHosts(string path) => _path = path;

    public string Path => _path;

    /// <summary>The fingerprint remembered for <paramref name="host"/>, or null.</summary>
    public string? Find(string host)
    {
        foreach (var (entryHost, fingerprint) in Read())
        {
            if (string.Equals(entryHost, host, StringComparison.OrdinalIgnoreCase)) return fingerprint;
        }
        return null;
    }

    /// <summary>Remembers <paramref name="fingerprint"/> for <paramref name="host"/>, replacing an earlier entry.</summary>
    public void Add(string host, string fingerprint)
    {
        if (host.Any(char.IsWhiteSpace)) throw new ArgumentException("a host key cannot contain spaces", nameof(host));
        var lines = File.Exists(_path) ? File.ReadAllLines(_path).ToList() : ["# Ferry known hosts: HOST:PORT SHA256:fingerprint (remove a line to forget a server)"];
        lines.RemoveAll(line => Parse(line) is { } entry && string.Equals(entry.Host, host, StringComparison.OrdinalIgnoreCase));
        lines.Add($"{host} {fingerprint}");
        SecureFile.WriteAllText(_path, string.Join('\n', lines) + "\n", ownerOnly: false);
    }

    private IEnumerable<(string Host, string Fingerprint)> Read()
    {
        if (!File.Exists(_path)) yield break;
        foreach (var line in File.ReadLines(_path))
        {
            if (Parse(line) is { } entry) yield return entry;
        }
    }

    private static (string Host, string Fingerprint)? Parse(string line)
    {
        var trimmed = line.Trim();
        if (trimmed.Length == 0 || trimmed.StartsWith('#')) return null;
        var parts = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 ? (parts[0], parts[1]) : null;
    }
}

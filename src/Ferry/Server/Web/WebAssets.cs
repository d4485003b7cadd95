using System.Collections.Frozen;
using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;

namespace Ferry.Server.Web;

/// <summary>
/// The page and its assets, embedded in the library under <c>ferry-web/</c> (so the binary serves them offline: no
/// CDN, no third-party request), each with its content type, a strong ETag and, for text, Brotli and gzip forms made
/// once on first use.
/// </summary>
internal sealed class WebAssets
{
    internal const string ResourcePrefix = "ferry-web/";
    private static readonly Lazy<WebAssets> s_embedded = new(() => Load(typeof(WebAssets).Assembly));
    private readonly FrozenDictionary<string, WebAsset> _byPath;

    private WebAssets(Dictionary<string, WebAsset> byPath) => _byPath = byPath.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The assets built into this library.</summary>
    public static WebAssets Embedded => s_embedded.Value;

    /// <summary>Request paths served (<c>/</c> is <c>/index.html</c>).</summary>
    public IEnumerable<string> Paths => _byPath.Keys;

    /// <summary>The asset at a request path, or null.</summary>
    public WebAsset? Find(string path) => _byPath.GetValueOrDefault(path == "/" ? "/index.html" : path);

    private static WebAssets Load(Assembly assembly)
    {
        var byPath = new Dictionary<string, WebAsset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(ResourcePrefix, StringComparison.Ordinal)) continue;
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var path = "/" + name[ResourcePrefix.Length..].Replace('\\', '/');
            byPath[path] = new WebAsset(copy.ToArray(), ContentType(path));
        }
        return new WebAssets(byPath);
    }

    internal static string ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" or ".mjs" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".json" or ".map" => "application/json; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        ".txt" => "text/plain; charset=utf-8",
        ".woff2" => "font/woff2",
        _ => "application/octet-stream",
    };
}

/// <summary>One embedded file: its bytes, content type, ETag and compressed forms.</summary>
internal sealed class WebAsset
{
    private readonly Lazy<byte[]?> _brotli;
    private readonly Lazy<byte[]?> _gzip;

    public WebAsset(byte[] content, string contentType)
    {
        Content = content;
        ContentType = contentType;
        ETag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content), 0, 12) + "\"";
        bool compressible = contentType.StartsWith("text/", StringComparison.Ordinal) || contentType.Contains("json", StringComparison.Ordinal)
            || contentType.Contains("svg", StringComparison.Ordinal);
        _brotli = new(() => compressible ? Smaller(Compress(s => new BrotliStream(s, CompressionLevel.SmallestSize))) : null);
        _gzip = new(() => compressible ? Smaller(Compress(s => new GZipStream(s, CompressionLevel.SmallestSize))) : null);
    }

    public byte[] Content { get; }

    public string ContentType { get; }

    public string ETag { get; }

    /// <summary>Brotli form, or null when the asset is not text or does not get smaller.</summary>
    public byte[]? Brotli => _brotli.Value;

    /// <summary>Gzip form, or null when the asset is not text or does not get smaller.</summary>
    public byte[]? Gzip => _gzip.Value;

    private byte[] Compress(Func<Stream, Stream> wrap)
    {
        using var output = new MemoryStream();
        using (var compressor = wrap(output)) compressor.Write(Content);
        return output.ToArray();
    }

    private byte[]? Smaller(byte[] compressed) => compressed.Length < Content.Length ? compressed : null;
}

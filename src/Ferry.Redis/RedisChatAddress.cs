using System.Globalization;
using StackExchange.Redis;

namespace Ferry.Services.Chat.Redis;

/// <summary>
/// Parses <c>redis://[USER:PASSWORD@]HOST[:PORT][/DB][?password=P&amp;user=U&amp;ssl=true]</c> (and <c>rediss://</c> for
/// TLS) into the client library's configuration. Pure: no connection is made.
/// </summary>
internal static class RedisChatAddress
{
    public static ConfigurationOptions Parse(string address)
    {
        if (string.IsNullOrWhiteSpace(address)) throw new FormatException("the Redis address is empty; give redis://HOST:PORT");
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("redis" or "rediss") || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException($"'{address}' is not a Redis address; give redis://HOST:PORT[/DB] (rediss:// for TLS)");
        }
        var options = new ConfigurationOptions
        {
            Ssl = uri.Scheme == "rediss",
            // Keep trying in the background when Redis is down, so the server recovers by itself.
            AbortOnConnectFail = false,
            // A command while disconnected fails at once instead of waiting in a backlog: a chat message is either
            // accepted (in Redis) or refused, never accepted now and lost or sent late.
            BacklogPolicy = BacklogPolicy.FailFast,
            ClientName = "ferry",
        };
        int port = uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port;
        var host = uri.Host.Trim('[', ']');
        options.EndPoints.Add(host, port);
        if (options.Ssl) options.SslHost = host;
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            if (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out int db) || db > 15_999)
            {
                throw new FormatException($"'{path}' in '{address}' is not a database number; give redis://HOST:PORT/DB with DB 0, 1, ...");
            }
            options.DefaultDatabase = db;
        }
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            if (parts.Length == 2)
            {
                if (parts[0].Length > 0) options.User = Uri.UnescapeDataString(parts[0]);
                options.Password = Uri.UnescapeDataString(parts[1]);
            }
            else
            {
                options.Password = Uri.UnescapeDataString(parts[0]);
            }
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            switch (kv[0].ToLowerInvariant())
            {
                case "password":
                    options.Password = value;
                    break;
                case "user":
                    options.User = value;
                    break;
                case "ssl" or "tls":
                    options.Ssl = value is "" or "true" or "1" or "yes";
                    if (options.Ssl) options.SslHost = host;
                    break;
                default:
                    throw new FormatException($"unknown setting '{kv[0]}' in '{Describe(address)}'; known: password, user, ssl");
            }
        }
        return options;
    }

    /// <summary>The address without its password, for messages and logs.</summary>
    public static string Describe(string address)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri)) return "(not a Redis address)";
        var user = uri.UserInfo.Split(':', 2);
        var credentials = uri.UserInfo.Length == 0 ? "" : user.Length == 2 ? $"{user[0]}:***@" : "***@";
        var query = string.Join('&', uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.StartsWith("password=", StringComparison.OrdinalIgnoreCase) ? "password=***" : p));
        var port = uri.IsDefaultPort || uri.Port < 0 ? "" : ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
        var path = uri.AbsolutePath.TrimEnd('/');
        return $"{uri.Scheme}://{credentials}{uri.Host}{port}{path}{(query.Length > 0 ? "?" + query : "")}";
    }
}

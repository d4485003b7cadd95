using System.Reflection;
using Ferry.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ferry.Tests.Architecture;

/// <summary>
/// The dependency rule, checked on the compiled assemblies (<see cref="AssemblyReferences"/>): a library namespace
/// uses only the layers its row allows, and the CLI only the library's public surface. A stray <c>using</c>, a
/// fully-qualified name, a <c>typeof</c> or a lambda that reaches across fails here whatever the source looks like.
/// The same table is in README.md ("Layers").
/// </summary>
public class LayeringTests(ITestOutputHelper output)
{
    /// <summary>
    /// Library layer (the namespace's second part: <c>Ferry.Security.Tls</c> is <c>Security</c>) → the layers it may use.
    /// Protocol → Connections → Security → Server → Services → Hosting; Client is the other end and never sees a server.
    /// </summary>
    internal static readonly Dictionary<string, string[]> Layers = new()
    {
        // Frames, headers, message types and error codes: the wire, nothing else.
        ["Protocol"] = [],
        // Address arithmetic for 'ferry subnet': pure, used by nobody else in the library.
        ["Networking"] = [],
        // One framed connection over a pipe: reads, writes, bodies, back-pressure.
        ["Connections"] = ["Protocol"],
        // Keys, SCRAM, TLS material, principals and rights: what both ends need to prove who they are.
        ["Security"] = ["Protocol", "Connections"],
        // The server: sessions, dispatch (ServiceRegistry, IFerryService), authentication, Kestrel wiring.
        ["Server"] = ["Protocol", "Connections", "Security"],
        // The wire contracts of the built-in services (Contracts.<Feature>: messages, their JSON contexts, the rules
        // on names and text both ends check): what a client in another language would copy from docs/protocol.md.
        ["Contracts"] = ["Protocol"],
        // File-transfer pieces both ends use: part files, resume, hashing, the data sender.
        ["Transfers"] = ["Protocol", "Connections", "Contracts"],
        // The built-in services (server side only).
        ["Services"] = ["Protocol", "Connections", "Security", "Server", "Contracts", "Transfers"],
        // UDP: SNTP, the UDP echo and the UDP chat relay (server side), their packets (both sides).
        ["Datagrams"] = ["Protocol", "Connections", "Security", "Server", "Contracts"],
        // The composition root: every built-in service and listener on one FerryServerBuilder.
        ["Hosting"] = ["Protocol", "Connections", "Security", "Server", "Contracts", "Services", "Transfers", "Datagrams"],
        // The client: FerryClient and the feature clients. Never Server, Services or Hosting.
        ["Client"] = ["Protocol", "Connections", "Security", "Contracts", "Transfers", "Datagrams", "Networking"],
    };

    /// <summary>
    /// The library namespaces the CLI (<c>Ferry.Cli</c>) may use. It is a client plus <c>ferry serve</c>: from the
    /// server it takes only what hosting one needs (<see cref="CliMayUseFromServer"/>), never sessions, dispatch or the
    /// services' implementations — and no internal type or member of any of them.
    /// </summary>
    internal static readonly string[] CliMayUse =
    [
        "Ferry.Protocol", "Ferry.Networking", "Ferry.Connections", "Ferry.Transfers", "Ferry.Datagrams", "Ferry.Client", "Ferry.Hosting",
        "Ferry.Security", "Ferry.Security.Accounts", "Ferry.Security.Scram", "Ferry.Security.SharedKey", "Ferry.Security.Tls",
        // The wire contracts as the client returns them (chat events, file listings, stats).
        "Ferry.Contracts.Chat", "Ferry.Contracts.Echo", "Ferry.Contracts.Exec", "Ferry.Contracts.Files", "Ferry.Contracts.Stats",
        "Ferry.Contracts.Forward",
        // The services' options 'ferry serve' fills in.
        "Ferry.Services.Chat", "Ferry.Services.Files", "Ferry.Services.Exec", "Ferry.Services.Forward",
        "Ferry.Server", "Ferry.Server.Authentication",
    ];

    /// <summary>The only types of <c>Ferry.Server*</c> the CLI may name: the server it hosts and its options.</summary>
    internal static readonly string[] CliMayUseFromServer =
    [
        "Ferry.Server.FerryServer", "Ferry.Server.FerryServerBuilder", "Ferry.Server.FerryServerOptions", "Ferry.Server.FerryPaths",
        "Ferry.Server.Authentication.AuthenticationOptions", "Ferry.Server.WebOptions",
    ];

    private static string Layer(string ns)
    {
        var parts = ns.Split('.');
        return parts.Length >= 2 && parts[0] == "Ferry" ? parts[1] : "";
    }

    private static bool IsFerry(string ns) => ns == "Ferry" || ns.StartsWith("Ferry.", StringComparison.Ordinal);

    private static string LibraryPath => typeof(Client.FerryClient).Assembly.Location;

    private static string CliPath => typeof(global::Ferry.Cli.Program).Assembly.Location;

    [Fact]
    public void EveryLibraryNamespaceAndFolderHasARow()
    {
        var namespaces = typeof(Client.FerryClient).Assembly.GetTypes().Select(t => t.Namespace ?? "").Where(IsFerry).Distinct();
        var missing = namespaces.Where(ns => !Layers.ContainsKey(Layer(ns))).ToList();
        var folders = Directory.GetDirectories(RepoPaths.Of("src", "Ferry")).Select(Path.GetFileName)
            .Where(f => f is not ("bin" or "obj" or "Properties")).ToList();
        missing.AddRange(folders.Where(f => !Layers.ContainsKey(f!)).Select(f => $"src/Ferry/{f}/"));
        Assert.True(missing.Count == 0, "no row in LayeringTests.Layers for: " + string.Join(", ", missing));
    }

    [Fact]
    public void EachLibraryLayerUsesOnlyTheLayersItsRowAllows()
    {
        var violations = new List<string>();
        foreach (var use in AssemblyReferences.Read(LibraryPath))
        {
            if (use.ToAssembly is not null || !IsFerry(use.FromNamespace) || !IsFerry(use.ToNamespace)) continue;
            string from = Layer(use.FromNamespace), to = Layer(use.ToNamespace);
            if (from == to || (Layers.TryGetValue(from, out var allowed) && allowed.Contains(to))) continue;
            violations.Add($"{use.From} ({from}) uses {use.ToName} ({to})");
        }
        Report(violations, "a layer uses one its row in LayeringTests.Layers does not allow");
    }

    [Fact]
    public void CliUsesOnlyThePublicSurfaceOfAllowedLayers()
    {
        var library = typeof(Client.FerryClient).Assembly;
        var violations = new List<string>();
        int checkedUses = 0;
        foreach (var use in AssemblyReferences.Read(CliPath))
        {
            if (use.ToAssembly != library.GetName().Name) continue;
            checkedUses++;
            if (!CliMayUse.Contains(use.ToNamespace))
            {
                violations.Add($"{use.From} uses {use.ToName} ({use.ToNamespace} is not in CliMayUse)");
                continue;
            }
            if (Layer(use.ToNamespace) == "Server" && !CliMayUseFromServer.Contains(use.ToName.Split('+')[0]))
            {
                violations.Add($"{use.From} uses {use.ToName} (not in CliMayUseFromServer)");
                continue;
            }
            var type = library.GetType(use.ToName);
            if (type is null || !type.IsVisible)
            {
                violations.Add($"{use.From} uses internal type {use.ToName}");
            }
            else if (use.Member is { } member && !IsPublicMember(type, member))
            {
                violations.Add($"{use.From} uses internal member {use.ToName}.{member}");
            }
        }
        Assert.True(checkedUses > 100, $"only {checkedUses} uses of the library found in {CliPath}: is the reader broken?");
        Report(violations, "the CLI goes past the library's public surface");
    }

    /// <summary>
    /// The CLI is built on the public API alone: the library grants its internals to the tests, the benchmarks and
    /// the fuzzer, never to the CLI (an <c>InternalsVisibleTo Ferry.Cli</c> would let the CLI prove nothing).
    /// </summary>
    [Fact]
    public void LibraryGrantsNoInternalsToTheCli()
    {
        var granted = typeof(Client.FerryClient).Assembly.GetCustomAttributes<System.Runtime.CompilerServices.InternalsVisibleToAttribute>()
            .Select(a => a.AssemblyName).ToList();
        Assert.Contains("Ferry.Tests", granted);
        Assert.DoesNotContain("Ferry.Cli", granted);
    }

    /// <summary>
    /// The reader sees what the regex over source text did not: a <c>typeof</c> through a <c>global::</c> alias, a use
    /// inside a lambda (compiled into a nested closure class, charged to the type that wrote it), an internal member.
    /// </summary>
    [Fact]
    public void ReaderFindsUsesTheSourceTextHides()
    {
        var uses = AssemblyReferences.Read(typeof(LayeringProbe).Assembly.Location);
        var probe = uses.Where(u => u.From == typeof(LayeringProbe).FullName && u.ToAssembly == "Ferry").ToList();
        Assert.Contains(probe, u => u.ToName == "Ferry.Client.FerryClient");
        Assert.Contains(probe, u => u.ToName == "Ferry.Server.ServiceRegistry");
        Assert.Contains(probe, u => u.ToName == "Ferry.Server.ServerSession" && u.Member == "get_Logger");
        Assert.NotNull(LayeringProbe.Make()());
    }

    private static bool IsPublicMember(Type type, string name)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.FlattenHierarchy;
        var members = type.GetMember(name, all);
        // Not found by name (an explicit interface implementation, a compiler-renamed member): nothing to judge.
        return members.Length == 0 || members.Any(m => m switch
        {
            MethodBase method => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly,
            FieldInfo field => field.IsPublic || field.IsFamily || field.IsFamilyOrAssembly,
            _ => true,
        });
    }

    private void Report(List<string> violations, string what)
    {
        var distinct = violations.Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var line in distinct) output.WriteLine(line);
        Assert.True(distinct.Count == 0, $"{what} ({distinct.Count}):\n" + string.Join("\n", distinct));
    }
}

/// <summary>Uses for <see cref="LayeringTests.ReaderFindsUsesTheSourceTextHides"/>, each spelt so a text search misses it.</summary>
internal static class LayeringProbe
{
    private static readonly Type s_client = typeof(global::Ferry.Client.FerryClient);

    internal static Func<object> Make() => () => new global::Ferry.Server.ServiceRegistry();

    internal static object Logger(global::Ferry.Server.ServerSession session) => session.Logger;

    internal static Type Client => s_client;
}

using System.Reflection;
using System.Text;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests.Architecture;

/// <summary>
/// The library's public surface — every visible type and each public or protected member, one line each — must
/// equal the committed baseline PublicApi.txt beside this file. A change fails with the lines added (+) and
/// removed (-) and the command that rewrites the baseline, so an API change is a diff a reviewer reads.
/// </summary>
/// <remarks>
/// A test, not Microsoft.CodeAnalysis.PublicApiAnalyzers (RS0016/RS0017): with several people adding public members
/// at once, the analyzer breaks each of their builds until the baseline is edited, and everybody's additions land
/// as conflicting appends to the same file. Here the build stays green, the baseline is sorted (parallel additions
/// land on different lines and merge), and the check still runs in every test run and in CI.
/// </remarks>
public class PublicApiTests
{
    private const string UpdateVariable = "FERRY_UPDATE_PUBLIC_API";

    private static string BaselinePath => RepoPaths.Of("tests", "Ferry.Tests", "Architecture", "PublicApi.txt");

    [Fact]
    public void PublicApiMatchesTheBaseline()
    {
        var actual = Describe(typeof(Client.FerryClient).Assembly);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllLines(BaselinePath, actual);
            return;
        }
        var expected = File.Exists(BaselinePath) ? File.ReadAllLines(BaselinePath) : [];
        var added = actual.Except(expected, StringComparer.Ordinal).Select(l => "+ " + l).ToList();
        var removed = expected.Except(actual, StringComparer.Ordinal).Select(l => "- " + l).ToList();
        Assert.True(added.Count == 0 && removed.Count == 0,
            $"Ferry's public API differs from {Path.GetRelativePath(RepoPaths.Root, BaselinePath)} ({added.Count} added, {removed.Count} removed):\n"
            + string.Join("\n", removed.Concat(added))
            + $"\nIf the change is meant (a removal or a changed signature breaks users of the package), update the baseline:\n"
            + $"  {UpdateVariable}=1 dotnet test tests/Ferry.Tests -c Release --no-build --filter FullyQualifiedName~PublicApiTests");
    }

    /// <summary>The description catches what a user of the package would notice: a new member, a changed signature, a type no longer sealed.</summary>
    [Fact]
    public void DescriptionShowsSignaturesAndShapes()
    {
        var lines = Describe(typeof(Client.FerryClient).Assembly);
        Assert.Contains("Ferry.Client.FerryClient : public sealed class : Ferry.Connections.IFrameHandler, System.IAsyncDisposable", lines);
        Assert.Contains("Ferry.Client.FerryClient :: public static System.Threading.Tasks.Task<Ferry.Client.FerryClient> ConnectAsync(Ferry.Client.FerryClientOptions options, System.Threading.CancellationToken cancellationToken = default)", lines);
        Assert.Contains("Ferry.Server.IFerryService : public interface", lines);
        Assert.Contains("Ferry.Server.IFerryService :: public System.Void MapRoutes(Ferry.Server.ServiceRoutes routes)", lines);
        Assert.DoesNotContain(lines, l => l.Contains("ExchangeAsync", StringComparison.Ordinal)); // internal: not part of the surface
        Assert.Equal(lines.Order(StringComparer.Ordinal), lines);
    }

    internal static List<string> Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            lines.Add(TypeLine(type));
            const BindingFlags declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var member in type.GetMembers(declared))
            {
                var line = MemberLine(type, member);
                if (line is not null) lines.Add($"{Name(type)} :: {line}");
            }
        }
        // Every line starts with its type's name, so sorting keeps each type's line (" : ") just before its members'
        // (" :: "), and parallel additions land on different lines and merge.
        return [.. lines.Distinct().Order(StringComparer.Ordinal)];
    }

    private static string TypeLine(Type type)
    {
        string kind = type.IsInterface ? "interface"
            : type.IsEnum ? "enum"
            : type.IsValueType ? (type.IsDefined(typeof(System.Runtime.CompilerServices.IsReadOnlyAttribute)) ? "readonly struct" : "struct")
            : typeof(Delegate).IsAssignableFrom(type.BaseType) ? "delegate"
            : type.IsAbstract && type.IsSealed ? "static class"
            : type.IsAbstract ? "abstract class"
            : type.IsSealed ? "sealed class" : "class";
        var bases = new List<string>();
        if (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum) && !typeof(Delegate).IsAssignableFrom(type.BaseType))
        {
            bases.Add(Name(b));
        }
        bases.AddRange(type.GetInterfaces().Where(i => i.IsVisible).Select(Name).Order(StringComparer.Ordinal));
        return $"{Name(type)} : public {kind}" + (bases.Count > 0 ? " : " + string.Join(", ", bases) : "");
    }

    private static string? MemberLine(Type type, MemberInfo member)
    {
        switch (member)
        {
            case ConstructorInfo c when Visible(c):
                return $"{Access(c)}{(c.IsStatic ? "static " : "")}.ctor({Parameters(c)})";
            case MethodInfo m when Visible(m) && !m.IsSpecialName:
                return $"{Access(m)}{Modifiers(m)}{Name(m.ReturnType)} {m.Name}{GenericArguments(m)}({Parameters(m)})";
            case MethodInfo m when Visible(m) && m.Name.StartsWith("op_", StringComparison.Ordinal):
                return $"{Access(m)}static {Name(m.ReturnType)} {m.Name}({Parameters(m)})";
            case PropertyInfo p:
                var accessors = new[] { p.GetMethod, p.SetMethod }.Where(a => a is not null && Visible(a)).ToArray();
                if (accessors.Length == 0) return null;
                var first = accessors[0]!;
                string parts = string.Join(" ", accessors.Select(a => a == p.GetMethod ? "get;"
                    : a!.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit") ? "init;" : "set;"));
                var index = p.GetIndexParameters();
                string name = index.Length > 0 ? $"this[{Parameters(index)}]" : p.Name;
                return $"{Access(first)}{Modifiers(first)}{Name(p.PropertyType)} {name} {{ {parts} }}";
            case FieldInfo f when (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) && !f.IsSpecialName:
                if (type.IsEnum) return $"{f.Name} = {Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)}";
                string constant = f.IsLiteral ? $" = {Literal(f.GetRawConstantValue())}" : "";
                return $"{(f.IsPublic ? "public " : "protected ")}{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{Name(f.FieldType)} {f.Name}{constant}";
            case EventInfo e when e.AddMethod is { } add && Visible(add):
                return $"{Access(add)}event {Name(e.EventHandlerType!)} {e.Name}";
            case Type nested when nested.IsVisible:
                return null; // listed on its own line by GetExportedTypes
            default:
                return null;
        }
    }

    private static bool Visible(MethodBase m) => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly;

    private static string Access(MethodBase m) => m.IsPublic ? "public " : "protected ";

    private static string Modifiers(MethodInfo m)
    {
        if (m.IsStatic) return "static ";
        if (m.DeclaringType!.IsInterface) return m.IsAbstract ? "" : "virtual ";
        if (m.IsAbstract) return "abstract ";
        if (m.IsVirtual && !m.IsFinal) return m.GetBaseDefinition() == m ? "virtual " : "override ";
        return m.IsVirtual && m.GetBaseDefinition() != m ? "sealed override " : "";
    }

    private static string GenericArguments(MethodInfo m) =>
        m.IsGenericMethodDefinition ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";

    private static string Parameters(MethodBase m) => Parameters(m.GetParameters());

    private static string Parameters(ParameterInfo[] parameters) => string.Join(", ", parameters.Select(p =>
    {
        var sb = new StringBuilder();
        if (p.IsDefined(typeof(ParamArrayAttribute))) sb.Append("params ");
        if (p.ParameterType.IsByRef) sb.Append(p.IsOut ? "out " : p.IsIn ? "in " : "ref ");
        if (p.Position == 0 && p.Member.IsDefined(typeof(System.Runtime.CompilerServices.ExtensionAttribute))) sb.Append("this ");
        sb.Append(Name(p.ParameterType.IsByRef ? p.ParameterType.GetElementType()! : p.ParameterType)).Append(' ').Append(p.Name);
        if (p.HasDefaultValue) sb.Append(" = ").Append(p.DefaultValue is null && p.ParameterType.IsValueType ? "default" : Literal(p.DefaultValue));
        return sb.ToString();
    }));

    private static string Literal(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>A type as C# spells it, namespace-qualified (generic arguments, arrays and nullable value types included).</summary>
    private static string Name(Type type)
    {
        if (type.IsGenericParameter) return type.Name;
        if (type.IsArray) return Name(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        if (type.IsPointer) return Name(type.GetElementType()!) + "*";
        if (Nullable.GetUnderlyingType(type) is { } underlying) return Name(underlying) + "?";
        string name = type.IsNested ? Name(type.DeclaringType!) + "." + type.Name : (type.Namespace is { } ns ? ns + "." : "") + type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0) name = name[..tick];
        if (!type.IsGenericType) return name;
        var arguments = type.GetGenericArguments();
        // A nested type of a generic type carries its parent's arguments too: show only its own.
        int inherited = type.IsNested ? type.DeclaringType!.GetGenericArguments().Length : 0;
        var own = arguments.Skip(inherited).ToArray();
        return own.Length == 0 ? name : name + "<" + string.Join(", ", own.Select(Name)) + ">";
    }
}

using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Ferry.Tests.Architecture;

/// <summary>
/// Every type a compiled assembly's own types use, read from its metadata: base types and interfaces, field,
/// method, property and local-variable signatures, generic constraints, attributes, and each token in the method
/// bodies' IL (calls, field accesses, <c>typeof</c>, casts, <c>new</c>). Unlike a look at the source text, this sees
/// fully-qualified names, <c>global::</c>, aliases, <c>var</c> and what the compiler generated (lambdas, state machines),
/// each charged to the type it was written in.
/// </summary>
internal static class AssemblyReferences
{
    /// <summary>
    /// One use: the using type (top-level, by full name) and its namespace; the used type's namespace, reflection name
    /// (<c>Ns.Outer+Inner</c>) and assembly (null: the same one); and, for a member of another assembly's type, its name.
    /// </summary>
    public readonly record struct Use(string From, string FromNamespace, string ToNamespace, string ToName, string? ToAssembly, string? Member = null);

    public static IReadOnlyList<Use> Read(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var provider = new TypeCollector(md);
        var uses = new List<Use>();

        foreach (var handle in md.TypeDefinitions)
        {
            var definition = md.GetTypeDefinition(handle);
            var owner = TopLevel(md, handle);
            var ownerDef = md.GetTypeDefinition(owner);
            string fromNs = md.GetString(ownerDef.Namespace);
            string from = Name(md, owner);
            var found = new List<EntityHandle>();

            if (!definition.BaseType.IsNil) found.Add(definition.BaseType);
            foreach (var i in definition.GetInterfaceImplementations()) found.Add(md.GetInterfaceImplementation(i).Interface);
            foreach (var p in definition.GetGenericParameters()) AddConstraints(md, p, found);
            AddAttributes(md, definition.GetCustomAttributes(), found);

            var types = new List<EntityHandle>();
            var members = new List<MemberReferenceHandle>();
            foreach (var f in definition.GetFields())
            {
                var field = md.GetFieldDefinition(f);
                types.AddRange(field.DecodeSignature(provider, null));
                AddAttributes(md, field.GetCustomAttributes(), found);
            }
            foreach (var p in definition.GetProperties())
            {
                var property = md.GetPropertyDefinition(p);
                var sig = property.DecodeSignature(provider, null);
                types.AddRange(sig.ReturnType);
                foreach (var parameter in sig.ParameterTypes) types.AddRange(parameter);
                AddAttributes(md, property.GetCustomAttributes(), found);
            }
            foreach (var e in definition.GetEvents()) found.Add(md.GetEventDefinition(e).Type);
            foreach (var m in definition.GetMethods())
            {
                var method = md.GetMethodDefinition(m);
                var sig = method.DecodeSignature(provider, null);
                types.AddRange(sig.ReturnType);
                foreach (var parameter in sig.ParameterTypes) types.AddRange(parameter);
                foreach (var p in method.GetGenericParameters()) AddConstraints(md, p, found);
                AddAttributes(md, method.GetCustomAttributes(), found);
                foreach (var p in method.GetParameters()) AddAttributes(md, md.GetParameter(p).GetCustomAttributes(), found);
                if (method.RelativeVirtualAddress == 0) continue;
                var body = pe.GetMethodBody(method.RelativeVirtualAddress);
                if (!body.LocalSignature.IsNil)
                {
                    var locals = md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(provider, null);
                    foreach (var local in locals) types.AddRange(local);
                }
                foreach (var token in IlTokens(body.GetILReader()))
                {
                    found.Add(token);
                    if (token.Kind == HandleKind.MemberReference) members.Add((MemberReferenceHandle)token);
                }
            }

            foreach (var entity in found) types.AddRange(provider.Of(entity));
            foreach (var type in types.Distinct())
            {
                var (ns, name, assembly) = Describe(md, type);
                uses.Add(new Use(from, fromNs, ns, name, assembly));
            }
            foreach (var member in members.Distinct())
            {
                var reference = md.GetMemberReference(member);
                var parent = reference.Parent;
                if (parent.Kind == HandleKind.TypeSpecification)
                {
                    // A member of a generic instantiation: the first type the specification names is the generic type.
                    var named = provider.Of(parent);
                    if (named.IsEmpty) continue;
                    parent = named[0];
                }
                if (parent.Kind != HandleKind.TypeReference) continue;
                var (ns, name, assembly) = Describe(md, parent);
                uses.Add(new Use(from, fromNs, ns, name, assembly, md.GetString(reference.Name)));
            }
        }
        return uses;
    }

    private static void AddConstraints(MetadataReader md, GenericParameterHandle handle, List<EntityHandle> found)
    {
        foreach (var c in md.GetGenericParameter(handle).GetConstraints()) found.Add(md.GetGenericParameterConstraint(c).Type);
    }

    private static void AddAttributes(MetadataReader md, CustomAttributeHandleCollection attributes, List<EntityHandle> found)
    {
        foreach (var a in attributes) found.Add(md.GetCustomAttribute(a).Constructor);
    }

    /// <summary>The metadata tokens the IL names (method, field, type and member operands).</summary>
    private static IEnumerable<EntityHandle> IlTokens(BlobReader il)
    {
        var tokens = new List<EntityHandle>();
        while (il.RemainingBytes > 0)
        {
            ushort value = il.ReadByte();
            if (value == 0xFE) value = (ushort)(0xFE00 | il.ReadByte());
            var operand = s_operands[value];
            switch (operand)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    tokens.Add(MetadataTokens.EntityHandle(il.ReadInt32()));
                    break;
                case OperandType.InlineSwitch:
                    int targets = il.ReadInt32(); // read first: 'Offset += 4 * ReadInt32()' would add to the offset before the read
                    il.Offset += 4 * targets;
                    break;
                default:
                    il.Offset += OperandBytes(operand);
                    break;
            }
        }
        return tokens;
    }

    private static int OperandBytes(OperandType operand) => operand switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4, // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR
    };

    private static readonly Dictionary<ushort, OperandType> s_operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => (ushort)o.Value, o => o.OperandType);

    private static TypeDefinitionHandle TopLevel(MetadataReader md, TypeDefinitionHandle handle)
    {
        while (true)
        {
            var declaring = md.GetTypeDefinition(handle).GetDeclaringType();
            if (declaring.IsNil) return handle;
            handle = declaring;
        }
    }

    private static string Name(MetadataReader md, TypeDefinitionHandle handle)
    {
        var t = md.GetTypeDefinition(handle);
        var ns = md.GetString(t.Namespace);
        return ns.Length == 0 ? md.GetString(t.Name) : ns + "." + md.GetString(t.Name);
    }

    private static (string Namespace, string Name, string? Assembly) Describe(MetadataReader md, EntityHandle handle)
    {
        if (handle.Kind == HandleKind.TypeDefinition)
        {
            var top = TopLevel(md, (TypeDefinitionHandle)handle);
            return (md.GetString(md.GetTypeDefinition(top).Namespace), Name(md, top), null);
        }
        var reference = md.GetTypeReference((TypeReferenceHandle)handle);
        var scope = reference.ResolutionScope;
        string name = md.GetString(reference.Name);
        string ns = md.GetString(reference.Namespace);
        while (scope.Kind == HandleKind.TypeReference)
        {
            // A nested type: its namespace is its outermost declaring type's.
            var outer = md.GetTypeReference((TypeReferenceHandle)scope);
            ns = md.GetString(outer.Namespace);
            name = md.GetString(outer.Name) + "+" + name;
            scope = outer.ResolutionScope;
        }
        string? assembly = scope.Kind == HandleKind.AssemblyReference
            ? md.GetString(md.GetAssemblyReference((AssemblyReferenceHandle)scope).Name)
            : null;
        return (ns, ns.Length == 0 ? name : ns + "." + name, assembly);
    }

    /// <summary>Decodes signatures into the type definitions and references they name (generic arguments included).</summary>
    private sealed class TypeCollector(MetadataReader md) : ISignatureTypeProvider<ImmutableArray<EntityHandle>, object?>
    {
        /// <summary>The types a token names: a type, or a member's declaring type and (for generic methods) its type arguments.</summary>
        public ImmutableArray<EntityHandle> Of(EntityHandle handle) => handle.Kind switch
        {
            HandleKind.TypeDefinition or HandleKind.TypeReference => [handle],
            HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null),
            HandleKind.MethodDefinition => [md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType()],
            HandleKind.FieldDefinition => [md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType()],
            HandleKind.MemberReference => Of(md.GetMemberReference((MemberReferenceHandle)handle).Parent),
            HandleKind.MethodSpecification => [.. Of(md.GetMethodSpecification((MethodSpecificationHandle)handle).Method),
                .. md.GetMethodSpecification((MethodSpecificationHandle)handle).DecodeSignature(this, null).SelectMany(a => a)],
            _ => [],
        };

        public ImmutableArray<EntityHandle> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [handle];
        public ImmutableArray<EntityHandle> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => [handle];
        public ImmutableArray<EntityHandle> GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, context);
        public ImmutableArray<EntityHandle> GetGenericInstantiation(ImmutableArray<EntityHandle> genericType, ImmutableArray<ImmutableArray<EntityHandle>> typeArguments) =>
            [.. genericType, .. typeArguments.SelectMany(a => a)];
        public ImmutableArray<EntityHandle> GetArrayType(ImmutableArray<EntityHandle> elementType, ArrayShape shape) => elementType;
        public ImmutableArray<EntityHandle> GetSZArrayType(ImmutableArray<EntityHandle> elementType) => elementType;
        public ImmutableArray<EntityHandle> GetByReferenceType(ImmutableArray<EntityHandle> elementType) => elementType;
        public ImmutableArray<EntityHandle> GetPointerType(ImmutableArray<EntityHandle> elementType) => elementType;
        public ImmutableArray<EntityHandle> GetPinnedType(ImmutableArray<EntityHandle> elementType) => elementType;
        public ImmutableArray<EntityHandle> GetModifiedType(ImmutableArray<EntityHandle> modifier, ImmutableArray<EntityHandle> unmodifiedType, bool isRequired) => unmodifiedType;
        public ImmutableArray<EntityHandle> GetFunctionPointerType(MethodSignature<ImmutableArray<EntityHandle>> signature) =>
            [.. signature.ReturnType, .. signature.ParameterTypes.SelectMany(p => p)];
        public ImmutableArray<EntityHandle> GetGenericMethodParameter(object? context, int index) => [];
        public ImmutableArray<EntityHandle> GetGenericTypeParameter(object? context, int index) => [];
        public ImmutableArray<EntityHandle> GetPrimitiveType(PrimitiveTypeCode typeCode) => [];
    }
}

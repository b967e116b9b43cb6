using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace Distil.Pipelines;

/// <summary>
/// What a <c>Map</c>, <c>Filter</c> or <c>When</c> function does, as a short stable text: the
/// signature of its step changes when, and only when, this changes.
/// </summary>
/// <remarks>
/// <para>
/// The function's IL is read instruction by instruction. Each instruction counts with its opcode
/// and its operand, and every metadata token in an operand is resolved to the member, type or
/// string it names and written by name (type, member, parameter types): a token is an index into
/// the assembly's tables, which shifts when unrelated code is added, and two different calls can
/// sit at the same index in two builds. Branch offsets are relative to the instruction and stay as
/// they are. Local variable types and exception clauses count too.
/// </para>
/// <para>
/// Methods of the function's own assembly that it calls (its helpers, constructors, property
/// getters) count by their bodies, recursively, so that changing a helper recomputes the step.
/// Calls into the .NET runtime's assemblies and Distil's count by name; calls into any other
/// assembly by name and that assembly's module version id, which a deterministic build changes
/// only when that assembly changes.
/// </para>
/// <para>
/// The compiler names lambdas, closures, cached delegates and local functions by their ordinal
/// in the file (<c>&lt;Main&gt;b__0_3</c>, <c>&lt;&gt;c__DisplayClass0_0</c>), which shifts when
/// an unrelated lambda is added: such names never count. A generated member is written as its
/// order of first appearance in this walk (<c>gen#2</c>), and a generated method counts by its
/// body. Values a function captures or reads from fields are data, not code: they do not count.
/// </para>
/// </remarks>
internal static class CodeSignature
{
    // Past this many method bodies in one walk, further methods count by name only: a function
    // that reaches into a large library of its own assembly still signs quickly. The walk's order
    // is fixed by the IL, so the same code always stops at the same methods.
    private const int MaxBodies = 256;

    private static readonly ConditionalWeakTable<MethodInfo, string> Cache = new();

    /// <summary>The signature text of a delegate's code: <c>lambda:HASH</c>, or <c>Type.Method:HASH</c> for a named method.</summary>
    public static string Of(Delegate function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Cache.GetValue(function.Method, Compute);
    }

    private static string Compute(MethodInfo method)
    {
        var label = IsGenerated(method.Name) ? "lambda" : $"{method.DeclaringType?.FullName}.{method.Name}";
        if (!HasIl(method))
        {
            // NativeAOT or trimmed IL: only the method's name is left (see docs/pipelines.md).
            return $"{method.DeclaringType?.FullName}.{method.Name}:no-il";
        }
        string text;
        try
        {
            text = new Walk(method).Run();
        }
        catch (Exception error) when (error is ArgumentException or BadImageFormatException or TypeLoadException
            or MissingMemberException or FileNotFoundException or InvalidOperationException or NotSupportedException)
        {
            // Reflection that cannot read something (a member of an assembly missing at run time):
            // the body's bytes, whose tokens shift with unrelated code, so at worst a needless recompute.
            text = "bytes " + RawIl(method);
        }
        return $"{label}:{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16]}";
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only reached when the method has IL (HasIl).")]
    private static string RawIl(MethodBase method) => Convert.ToHexString(method.GetMethodBody()?.GetILAsByteArray() ?? []);

    [UnconditionalSuppressMessage("Trimming", "IL2026",
        Justification = "Without IL (trimmed or AOT) the signature falls back to the method's name; documented in docs/pipelines.md.")]
    private static bool HasIl(MethodBase method)
    {
        try
        {
            return method.GetMethodBody() is not null;
        }
        catch (Exception error) when (error is InvalidOperationException or NotSupportedException or PlatformNotSupportedException)
        {
            return false; // a dynamic method, or a runtime without method bodies
        }
    }

    /// <summary>Whether a metadata name is the compiler's own (lambdas, closures, state machines…).</summary>
    internal static bool IsGenerated(string name) => name.Contains('<');

    /// <summary>One walk from a function through the bodies of its assembly's methods it reaches.</summary>
    private sealed class Walk(MethodInfo function)
    {
        private readonly Assembly _home = function.Module.Assembly;
        private readonly StringBuilder _text = new();
        private readonly Queue<MethodBase> _pending = new();
        // Methods whose bodies are listed (by order of first appearance) and generated members
        // without a body to list, numbered the same way: a stable name for what has none.
        private readonly Dictionary<MemberInfo, int> _bodies = new(MemberIdentity.Instance);
        private readonly Dictionary<MemberInfo, int> _generated = new(MemberIdentity.Instance);

        public string Run()
        {
            if (!IsGenerated(function.Name))
            {
                _text.Append("function ").Append(MethodName(function)).Append('\n');
            }
            Enqueue(function);
            while (_pending.Count > 0)
            {
                var method = _pending.Dequeue();
                _text.Append("body#").Append(_bodies[method]).Append(' ');
                AppendBody(method);
            }
            return _text.ToString();
        }

        private bool Enqueue(MethodBase method)
        {
            if (_bodies.ContainsKey(method)) return true;
            if (_bodies.Count >= MaxBodies || !HasIl(method)) return false;
            _bodies[method] = _bodies.Count;
            _pending.Enqueue(method);
            return true;
        }

        [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only reached when the method has IL (HasIl).")]
        private void AppendBody(MethodBase method)
        {
            var body = method.GetMethodBody()!;
            var module = method.Module;
            var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
            var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;

            // The body's shape: what it returns and takes, its locals and exception clauses.
            if (method is MethodInfo info) _text.Append("returns ").Append(TypeName(info.ReturnType)).Append(' ');
            _text.Append(method.IsStatic ? "static(" : "instance(");
            _text.AppendJoin(',', method.GetParameters().Select(p => TypeName(p.ParameterType))).Append(")\n");
            foreach (var local in body.LocalVariables)
            {
                _text.Append("local ").Append(TypeName(local.LocalType)).Append(local.IsPinned ? " pinned\n" : "\n");
            }
            foreach (var clause in body.ExceptionHandlingClauses)
            {
                _text.Append("try ").Append(clause.Flags).Append(' ').Append(clause.TryOffset).Append('+').Append(clause.TryLength)
                    .Append(" handler ").Append(clause.HandlerOffset).Append('+').Append(clause.HandlerLength);
                if (clause.Flags == ExceptionHandlingClauseOptions.Clause) _text.Append(" catch ").Append(TypeName(clause.CatchType!));
                if (clause.Flags == ExceptionHandlingClauseOptions.Filter) _text.Append(" filter ").Append(clause.FilterOffset);
                _text.Append('\n');
            }

            var il = body.GetILAsByteArray() ?? [];
            foreach (var instruction in IlReader.Read(il))
            {
                _text.Append(instruction.OpCode.Name);
                if (instruction.OpCode.OperandType is OperandType.InlineField or OperandType.InlineMethod
                    or OperandType.InlineTok or OperandType.InlineType or OperandType.InlineString or OperandType.InlineSig)
                {
                    _text.Append(' ').Append(Operand(module, instruction.OpCode.OperandType, instruction.Token, typeArguments, methodArguments));
                }
                else if (instruction.OperandLength > 0)
                {
                    _text.Append(' ').Append(Convert.ToHexString(il, instruction.OperandOffset, instruction.OperandLength));
                }
                _text.Append(';');
            }
            _text.Append('\n');
        }

        [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only reached when the method has IL, so its tokens are the ones it was compiled with.")]
        private string Operand(Module module, OperandType kind, int token, Type[]? typeArguments, Type[]? methodArguments)
        {
            try
            {
                switch (kind)
                {
                    case OperandType.InlineString:
                        return Quoted(module.ResolveString(token));
                    case OperandType.InlineSig:
                        // A calli's signature blob (function pointers): its bytes, which hold
                        // table indexes of types; rare, and at worst a needless recompute.
                        return "sig:" + Convert.ToHexString(module.ResolveSignature(token));
                    default:
                        return Member(module.ResolveMember(token, typeArguments, methodArguments)!);
                }
            }
            catch (Exception error) when (error is ArgumentException or BadImageFormatException or TypeLoadException or MissingMemberException or FileNotFoundException)
            {
                // A reference that does not resolve here (an assembly missing at run time): the
                // token, which changes with unrelated code, so at worst a needless recompute.
                return $"unresolved:{token:x8}";
            }
        }

        private string Member(MemberInfo member) => member switch
        {
            Type type => "type " + TypeName(type),
            MethodBase method => "method " + MethodReference(method),
            FieldInfo field => "field " + FieldReference(field),
            _ => member.MemberType + " " + member.Name,
        };

        // A method of the function's assembly counts by its body (numbered by first appearance);
        // a user-named one by its name too, so that get_A and get_B with equal bodies differ.
        private string MethodReference(MethodBase method)
        {
            var generated = IsGenerated(method.Name) || IsGeneratedType(method.DeclaringType);
            if (method.Module.Assembly == _home && Enqueue(method))
            {
                return generated ? $"body#{_bodies[method]}" : $"{MethodName(method)}=body#{_bodies[method]}";
            }
            // Past the bound, or without a body (abstract, extern): its name, generated or not.
            return generated ? GeneratedName(method) + "(" + string.Join(',', method.GetParameters().Select(p => TypeName(p.ParameterType))) + ")" : MethodName(method);
        }

        [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "A type of the function's own assembly; without its static constructor the signature counts less, never wrongly.")]
        private string FieldReference(FieldInfo field)
        {
            // A static readonly field of the function's assembly (a Regex, a lookup table) holds
            // what its class's static constructor made: that code counts, its later values do not.
            if (field is { IsStatic: true, IsInitOnly: true } && field.Module.Assembly == _home && !IsGeneratedType(field.DeclaringType)
                && field.DeclaringType?.TypeInitializer is { } initializer)
            {
                Enqueue(initializer);
            }
            var name = IsGenerated(field.Name) && !IsContentNamed(field) ? GeneratedName(field) : field.Name;
            return $"{TypeName(field.DeclaringType!)}::{name}:{TypeName(field.FieldType)}";
        }

        private string MethodName(MethodBase method)
        {
            var text = new StringBuilder();
            text.Append(method.DeclaringType is null ? "" : TypeName(method.DeclaringType)).Append("::");
            text.Append(IsGenerated(method.Name) ? GeneratedName(method) : method.Name);
            if (method.IsGenericMethod) text.Append('[').AppendJoin(',', method.GetGenericArguments().Select(TypeName)).Append(']');
            text.Append('(').AppendJoin(',', method.GetParameters().Select(p => TypeName(p.ParameterType))).Append(')');
            if (method is MethodInfo info) text.Append(':').Append(TypeName(info.ReturnType));
            return text.ToString();
        }

        private string GeneratedName(MemberInfo member)
        {
            if (!_generated.TryGetValue(member, out var index))
            {
                _generated[member] = index = _generated.Count;
                if (member is Type type && type.Assembly == _home && IsStateMachine(type)) EnqueueAll(type);
            }
            return "gen#" + index;
        }

        // An iterator's or async method's code is in its state machine's MoveNext, which no IL
        // calls by name (the runtime or an enumerator does): its methods count when it is named.
        // Not so for a closure class, whose other lambdas may be unrelated code.
        private static bool IsStateMachine(Type type) =>
            typeof(IAsyncStateMachine).IsAssignableFrom(type) || typeof(System.Collections.IEnumerator).IsAssignableFrom(type);

        [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "A compiler-generated state machine of the function's own assembly; without its methods the signature counts less, never wrongly.")]
        private void EnqueueAll(Type type)
        {
            var methods = type.GetMethods(BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic);
            foreach (var method in methods.OrderBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.GetParameters().Length)) Enqueue(method);
        }

        /// <summary>A type by name, with where it comes from: nothing for the function's assembly, the module version id for another user assembly.</summary>
        private string TypeName(Type type) => LocalTypeName(type) + AssemblyTag(type);

        private string LocalTypeName(Type type)
        {
            if (type.IsGenericParameter) return (type.DeclaringMethod is null ? "!" : "!!") + type.GenericParameterPosition;
            if (type.IsByRef) return LocalTypeName(type.GetElementType()!) + "&";
            if (type.IsPointer) return LocalTypeName(type.GetElementType()!) + "*";
            if (type.IsArray) return LocalTypeName(type.GetElementType()!) + (type.IsSZArray ? "[]" : $"[{type.GetArrayRank()}]");
            if (type.IsGenericType && !type.IsGenericTypeDefinition)
            {
                return LocalTypeName(type.GetGenericTypeDefinition()) + "[" + string.Join(',', type.GetGenericArguments().Select(TypeName)) + "]";
            }
            if (IsGenerated(type.Name) && !IsContentNamed(type)) return GeneratedName(type);
            if (type.DeclaringType is { } outer) return LocalTypeName(outer) + "+" + type.Name;
            return type.Namespace is null ? type.Name : type.Namespace + "." + type.Name;
        }

        private string AssemblyTag(Type type)
        {
            while (type.HasElementType) type = type.GetElementType()!;
            if (type.IsGenericParameter) return "";
            var assembly = type.Assembly;
            if (assembly == _home) return "";
            if (AssemblyKinds.IsNamedOnly(assembly)) return "@" + assembly.GetName().Name;
            return $"@{assembly.GetName().Name}#{assembly.ManifestModule.ModuleVersionId:N}";
        }

        private static bool IsGeneratedType(Type? type)
        {
            for (var current = type; current is not null; current = current.DeclaringType)
            {
                if (IsGenerated(current.Name) && !IsContentNamed(current)) return true;
            }
            return false;
        }

        // Roslyn names array initializer data and its other private helpers after their content
        // (<PrivateImplementationDetails>.<hash of the bytes>), and an auto-property's or an
        // anonymous type's field after its property: these names say what the code is, so they count.
        private static bool IsContentNamed(MemberInfo member) =>
            member.Name == "<PrivateImplementationDetails>"
            || member.DeclaringType?.Name == "<PrivateImplementationDetails>"
            || member is FieldInfo && (member.Name.EndsWith(">k__BackingField", StringComparison.Ordinal) || member.Name.EndsWith(">i__Field", StringComparison.Ordinal));

        private static string Quoted(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";
    }

    /// <summary>
    /// Members compared as the walk means them: by their runtime handle, not by the instance
    /// reflection hands out (two lookups of one method can give two MethodInfo objects).
    /// </summary>
    private sealed class MemberIdentity : IEqualityComparer<MemberInfo>
    {
        public static readonly MemberIdentity Instance = new();

        public bool Equals(MemberInfo? x, MemberInfo? y) => x is not null && y is not null && (ReferenceEquals(x, y) || x.Equals(y)
            || (x.Module == y.Module && x.MetadataToken == y.MetadataToken && SameContext(x, y)));

        public int GetHashCode(MemberInfo member) => HashCode.Combine(member.Module, member.MetadataToken);

        // A member of a generic type, or a generic method, is one per instantiation.
        private static bool SameContext(MemberInfo x, MemberInfo y) =>
            x.DeclaringType == y.DeclaringType
            && (x is not MethodBase { IsGenericMethod: true } mx || y is MethodBase { IsGenericMethod: true } my
                && mx.GetGenericArguments().SequenceEqual(my.GetGenericArguments()));
    }

    /// <summary>Which assemblies count by name only: the .NET runtime's and Distil's own.</summary>
    private static class AssemblyKinds
    {
        private static readonly string? RuntimeDirectory = DirectoryOf(typeof(object).Assembly);
        private static readonly ConditionalWeakTable<Assembly, object> NamedOnly = new();
        private static readonly object Yes = true, No = false;

        // Distil's packages: their behavior is Distil's version's, not the user's build's.
        private static readonly HashSet<string> DistilAssemblies = new(StringComparer.Ordinal)
        {
            "Distil", "Distil.Tasks", "Distil.OpenAI", "Distil.LlamaSharp", "Distil.Validation", "Distil.USearch", "Distil.Testing",
        };

        public static bool IsNamedOnly(Assembly assembly) =>
            (bool)NamedOnly.GetValue(assembly, a => IsRuntimeOrDistil(a) ? Yes : No);

        [UnconditionalSuppressMessage("SingleFile", "IL3000",
            Justification = "In a single-file app Location is empty: such an assembly then counts with its version id, which is never stale.")]
        private static bool IsRuntimeOrDistil(Assembly assembly)
        {
            if (assembly == typeof(object).Assembly) return true;
            if (assembly == typeof(CodeSignature).Assembly) return true;
            if (DistilAssemblies.Contains(assembly.GetName().Name ?? "") && SameKey(assembly, typeof(CodeSignature).Assembly)) return true;
            return RuntimeDirectory is not null && !assembly.IsDynamic
                && string.Equals(DirectoryOf(assembly), RuntimeDirectory, StringComparison.Ordinal);
        }

        private static bool SameKey(Assembly a, Assembly b) =>
            (a.GetName().GetPublicKeyToken() ?? []).AsSpan().SequenceEqual(b.GetName().GetPublicKeyToken() ?? []);

        [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "See IsRuntimeOrDistil.")]
        private static string? DirectoryOf(Assembly assembly) =>
            string.IsNullOrEmpty(assembly.Location) ? null : Path.GetDirectoryName(assembly.Location);
    }

    /// <summary>Splits IL into instructions with an opcode table built once from <see cref="OpCodes"/>.</summary>
    private static class IlReader
    {
        private static readonly OpCode?[] OneByte = new OpCode?[256];
        private static readonly OpCode?[] TwoByte = new OpCode?[256];

        static IlReader()
        {
            foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                if (field.GetValue(null) is not OpCode code) continue;
                var value = (ushort)code.Value;
                if (code.Size == 1) OneByte[value] = code;
                else TwoByte[value & 0xFF] = code;
            }
        }

        public readonly record struct Instruction(OpCode OpCode, int OperandOffset, int OperandLength, int Token);

        public static IEnumerable<Instruction> Read(byte[] il)
        {
            var at = 0;
            while (at < il.Length)
            {
                var code = il[at] == 0xFE && at + 1 < il.Length ? TwoByte[il[at + 1]] : OneByte[il[at]];
                if (code is not { } opCode)
                {
                    // Not an opcode this runtime knows: count the rest as bytes.
                    yield return new Instruction(OpCodes.Nop, at, il.Length - at, 0);
                    yield break;
                }
                at += opCode.Size;
                var length = Math.Min(OperandLength(opCode.OperandType, il, at), il.Length - at);
                var token = length == 4 && IsToken(opCode.OperandType) ? BitConverter.ToInt32(il, at) : 0;
                yield return new Instruction(opCode, at, length, token);
                at += length;
            }
        }

        private static bool IsToken(OperandType kind) => kind is OperandType.InlineField or OperandType.InlineMethod
            or OperandType.InlineTok or OperandType.InlineType or OperandType.InlineString or OperandType.InlineSig;

        private static int OperandLength(OperandType kind, byte[] il, int at) => kind switch
        {
            OperandType.InlineNone => 0,
            OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
            OperandType.InlineVar => 2,
            OperandType.InlineI8 or OperandType.InlineR => 8,
            OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
            _ => 4, // branch targets, int32 and float32 values, tokens
        };
    }
}

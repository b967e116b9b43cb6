using System.Reflection;
using System.Runtime.Loader;

namespace Distil.Cli;

/// <summary>
/// The load context of one <c>--assembly</c>: its own dependencies come from its folder (through its
/// <c>.deps.json</c>), and every assembly the tool has itself (Distil, Microsoft.Extensions.AI, the
/// framework) is the tool's. Rule: Distil's assemblies are shared, never loaded again from the
/// user's folder, so that the user's <c>LlmTask</c> is the tool's <c>LlmTask</c>; a second copy
/// would make every cast fail although the names match.
/// </summary>
internal sealed class UserAssemblyContext : AssemblyLoadContext
{
    // The simple names of the assemblies the tool's own context loads: the framework's and the tool's (its deps.json).
    private static readonly Lazy<HashSet<string>> ToolAssemblies = new(() =>
        ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .ToHashSet(StringComparer.OrdinalIgnoreCase));

    private readonly AssemblyDependencyResolver _resolver;

    /// <summary>A context for the assembly at <paramref name="path"/> (a full path).</summary>
    public UserAssemblyContext(string path) : base($"distil --assembly {Path.GetFileName(path)}")
    {
        _resolver = new AssemblyDependencyResolver(path);
    }

    /// <summary>Whether the tool has an assembly of this name itself (it is then shared, not loaded from the user's folder).</summary>
    public static bool IsTools(string simpleName) => ToolAssemblies.Value.Contains(simpleName);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // Null: the default context (the tool's) loads it.
        if (assemblyName.Name is null || IsTools(assemblyName.Name)) return null;
        return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
}

using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Distil.Pipelines;

/// <summary>
/// The step kinds pipeline files may name beyond the command's own (<c>load</c>, <c>task</c>,
/// <c>write</c>…): Distil's own (declared with <see cref="PipelineStepKindAttribute"/> in each
/// kind's folder) and those a package registers. The pipeline-file reader consults it for a step's
/// kind, its keys and its description.
/// </summary>
public static class PipelineStepKinds
{
    private static readonly object Gate = new();
    private static List<PipelineFileStepKind>? _kinds;

    /// <summary>Every registered kind, Distil's first, then in the order they were registered.</summary>
    public static IReadOnlyList<PipelineFileStepKind> All
    {
        get
        {
            lock (Gate) return [.. Kinds()];
        }
    }

    /// <summary>The kind named <paramref name="name"/>, or null.</summary>
    public static PipelineFileStepKind? Find(string name)
    {
        lock (Gate) return Kinds().FirstOrDefault(k => k.Name == name);
    }

    /// <summary>Adds <paramref name="kind"/>; registering a kind of the same type again does nothing.</summary>
    /// <exception cref="ArgumentException">Another kind has that name.</exception>
    public static void Register(PipelineFileStepKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(kind.Key, nameof(kind.Key));
        lock (Gate)
        {
            var kinds = Kinds();
            if (kinds.FirstOrDefault(k => k.Name == kind.Name) is { } taken)
            {
                if (taken.GetType() == kind.GetType()) return;
                throw new ArgumentException($"The step kind '{kind.Name}' is registered already, by {taken.GetType().FullName}; give {kind.GetType().FullName} another name.", nameof(kind));
            }
            kinds.Add(kind);
        }
    }

    /// <summary>Registers the kinds <paramref name="assembly"/> declares with <see cref="PipelineStepKindAttribute"/>.</summary>
    /// <exception cref="ArgumentException">A declared type is not a <see cref="PipelineFileStepKind"/>, or its name is taken.</exception>
    public static void RegisterAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var kind in Declared(assembly)) Register(kind);
    }

    // Distil's own kinds, read once from this assembly's attributes.
    private static List<PipelineFileStepKind> Kinds() => _kinds ??= [.. Declared(typeof(PipelineStepKinds).Assembly)];

    private static IEnumerable<PipelineFileStepKind> Declared(Assembly assembly) =>
        assembly.GetCustomAttributes<PipelineStepKindAttribute>().Select(a => Create(a.Kind));

    private static PipelineFileStepKind Create([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type type) =>
        Activator.CreateInstance(type) as PipelineFileStepKind
            ?? throw new ArgumentException($"[assembly: PipelineStepKind(typeof({type.FullName}))] names a type that is not a PipelineFileStepKind.");
}

using System.Diagnostics.CodeAnalysis;

namespace Distil.Pipelines;

/// <summary>
/// Declares a <see cref="PipelineFileStepKind"/> of the assembly, placed in the kind's own folder:
/// <c>[assembly: PipelineStepKind(typeof(FormatSftFileKind))]</c>. Distil's own kinds are read from
/// its assembly once; a package's are read by <see cref="PipelineStepKinds.RegisterAssembly"/>. No
/// central list to edit, and no scan of types (NativeAOT keeps the named type's constructor).
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class PipelineStepKindAttribute(
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type kind) : Attribute
{
    /// <summary>The kind: a <see cref="PipelineFileStepKind"/> with a public constructor without parameters.</summary>
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    public Type Kind { get; } = kind;
}

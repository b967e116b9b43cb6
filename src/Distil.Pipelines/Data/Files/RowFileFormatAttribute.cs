using System.Diagnostics.CodeAnalysis;

namespace Distil.Pipelines;

/// <summary>
/// Declares a file format an assembly provides: <c>[assembly: RowFileFormat(typeof(CsvFileFormat))]</c>. Distil's
/// generator, which runs in every project that references the Distil package, reads these attributes of the
/// assemblies a program references at build time and writes a module initializer that registers each format with
/// <see cref="RowFileFormats.Register"/>: no scanning at run time, NativeAOT-safe. The type must derive from
/// <see cref="RowFileFormat"/> and have a public parameterless constructor.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class RowFileFormatAttribute : Attribute
{
    /// <summary>Declares <paramref name="format"/>.</summary>
    public RowFileFormatAttribute([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type format)
    {
        ArgumentNullException.ThrowIfNull(format);
        Format = format;
    }

    /// <summary>The format's type, a <see cref="RowFileFormat"/>.</summary>
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    public Type Format { get; }
}

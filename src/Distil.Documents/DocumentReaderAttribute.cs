using System.Diagnostics.CodeAnalysis;

namespace Distil.Pipelines;

/// <summary>
/// Declares a <see cref="DocumentReader"/> of a package: <c>[assembly: DocumentReader(typeof(PdfDocumentReader))]</c>.
/// <see cref="DocumentReaders.RegisterAssembly"/> registers the readers an assembly declares.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class DocumentReaderAttribute(
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type reader) : Attribute
{
    /// <summary>The reader: a <see cref="DocumentReader"/> with a public constructor without parameters.</summary>
    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)]
    public Type Reader { get; } = reader;
}

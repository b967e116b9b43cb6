using System.Linq;

// Same invariant as Specs.cs: strings, bools, enums, other specs and EquatableArray<T> only.

namespace Distil.Generators.Model;

/// <summary>Which typed step base a <c>[Step]</c> class derives from.</summary>
internal enum StepShape
{
    /// <summary><c>Step&lt;TIn, TOut&gt;</c>: one row in, one row out.</summary>
    Single,

    /// <summary><c>ManyStep&lt;TIn, TOut&gt;</c>: zero or more rows per row.</summary>
    Many,

    /// <summary><c>GlobalStep&lt;TIn, TOut&gt;</c>: all rows at once.</summary>
    Global,

    /// <summary><c>GeneratorStep&lt;TOut&gt;</c>: rows from nothing.</summary>
    Generator,
}

/// <summary>Everything read from a <c>[Step]</c> class's declaration.</summary>
internal sealed record StepDeclaration
{
    public string StepName { get; init; } = "";
    public string ClassName { get; init; } = "";
    public string Namespace { get; init; } = "";
    public string FullName { get; init; } = "";
    public EquatableArray<ContainingTypeSpec> ContainingTypes { get; init; }
    public StepShape Shape { get; init; }

    /// <summary>The input record's type (empty for a generator step).</summary>
    public string InputTypeName { get; init; } = "";
    public string OutputTypeName { get; init; } = "";
    public string InputObjectId { get; init; } = "";
    public string OutputObjectId { get; init; } = "";
    public EquatableArray<ObjectSpec> Objects { get; init; }
    public EquatableArray<SettingSpec> Settings { get; init; }
    public EmitMode Mode { get; init; }
    public EquatableArray<DiagnosticInfo> Diagnostics { get; init; }

    /// <summary>The tokens of the class, its bases up to Distil's and its records declared outside it: what the source hash is made of.</summary>
    public string DeclarationText { get; init; } = "";

    /// <summary>
    /// What the emitter needs: no diagnostics, no positions, and the declaration text replaced by its
    /// hash, so a step moved in its file (or a comment edited) is not written again.
    /// </summary>
    public StepDeclaration ForCode(string generatorVersion) => this with
    {
        Diagnostics = default,
        DeclarationText = Parsing.SettingReader.Hash(generatorVersion + "\n" + DeclarationText),
        Objects = Objects.Select(o => o with { Properties = o.Properties.Select(p => p with { Location = null }).ToEquatableArray() }).ToEquatableArray(),
    };
}

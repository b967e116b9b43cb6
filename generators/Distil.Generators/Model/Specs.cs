using System.Linq;

// Invariant of every type in this file: it holds only strings, bools, numbers, enums, other specs
// and EquatableArray<T> — never a symbol, syntax node or Location — so that the incremental
// pipeline can compare models by value and cache every step whose inputs did not change.

namespace Distil.Generators.Model;

/// <summary>What a value is, as far as rows, JSON schemas and templates are concerned.</summary>
internal enum ValueKind
{
    String,
    Boolean,
    Integer,
    Number,
    Decimal,
    Enum,
    List,
    Object,

    /// <summary>A <c>JsonNode</c> or <c>JsonObject</c> taken from the row as it is (input records only).</summary>
    Json,
}

/// <summary>
/// The shape of a property's type. <see cref="TypeName"/> is fully qualified (<c>global::</c>) and
/// without nullable annotation; <see cref="ClrName"/> is the C# keyword of numbers (int, double…).
/// </summary>
internal sealed record TypeShape(
    ValueKind Kind,
    string TypeName,
    bool IsNullable,
    bool IsValueType,
    string ClrName = "",
    TypeShape? Element = null,
    bool IsArray = false,
    EquatableArray<string> EnumMembers = default,
    string ObjectId = "");

/// <summary>
/// The rules a value must keep, from DataAnnotations attributes: a number's range, a list's item
/// count or a string's length, the values allowed, a pattern a string must match in full.
/// </summary>
internal sealed record ValueRules(
    double? Minimum = null,
    double? Maximum = null,
    int? MinLength = null,
    int? MaxLength = null,
    EquatableArray<string> AllowedValues = default,
    string? Pattern = null,
    string? SameCountAs = null,
    string? OneOfInput = null);

/// <summary>A property of an input, output or nested record, and the column or JSON name it maps to.</summary>
internal sealed record PropertySpec(
    string Name,
    string Column,
    TypeShape Type,
    string? Description,
    string? ConstructorParameter,
    LocationInfo? Location,
    int? MaxLength = null,
    bool IsOptional = false,
    ValueRules? Rules = null);

/// <summary>A record type that maps to a JSON object: the input, the output, or a record nested in them.</summary>
internal sealed record ObjectSpec(
    string Id,
    string TypeName,
    string DisplayName,
    string? Description,
    EquatableArray<PropertySpec> Properties);

/// <summary>A property of the task that templates may read.</summary>
internal sealed record TemplateParameterSpec(string Name, string Variable, TypeShape Type);

/// <summary>Where a prompt template comes from: inline text or a project file.</summary>
internal sealed record TemplateSource(
    PromptRole Role,
    string? InlineText,
    string? FilePath,
    LocationInfo? AttributeLocation,
    int InlineTextOffset,
    int InlineTextLine,
    int InlineTextColumn);

/// <summary>
/// A setting of the task by name: a public settable property or a <c>[TemplateParameter]</c>.
/// <paramref name="Reader"/> is the expression that reads a JSON value into its type, null when
/// it cannot be set by name.
/// </summary>
internal sealed record SettingSpec(
    string Name,
    string PropertyName,
    string DisplayType,
    string TypeName,
    string? Description,
    string? Reader,
    bool SetterIsInit,
    string DeclaringType);

/// <summary>What the generator writes for a task.</summary>
internal enum EmitMode
{
    /// <summary>Nothing: the class is not partial, or not an <c>LlmTask&lt;,&gt;</c>.</summary>
    Nothing,

    /// <summary>Members that throw, so that the build shows the Distil errors and not a cascade of missing members.</summary>
    Stubs,

    /// <summary>The task's members.</summary>
    Members,
}

/// <summary>Which message of the chat a prompt template renders.</summary>
internal enum PromptRole
{
    System,
    User,
}

internal static class PromptRoles
{
    /// <summary>The role as chat messages and diagnostics name it: <c>system</c> or <c>user</c>.</summary>
    public static string Name(this PromptRole role) => role == PromptRole.System ? "system" : "user";
}

/// <summary>A class that encloses the task class, so that the generated part nests the same way.</summary>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>Everything read from a task class's declaration, before its templates are resolved.</summary>
internal sealed record TaskDeclaration(
    string TaskName,
    string ClassName,
    string Namespace,
    string FullName,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string InputTypeName,
    string OutputTypeName,
    string InputObjectId,
    string OutputObjectId,
    EquatableArray<ObjectSpec> Objects,
    EquatableArray<TemplateParameterSpec> Parameters,
    EquatableArray<TemplateSource> Templates,
    bool HasParseOutput,
    bool HasFormatMessages,
    bool DeclaresInputs,
    EmitMode Mode,
    EquatableArray<DiagnosticInfo> Diagnostics,
    EquatableArray<SettingSpec> Settings = default,
    string DeclarationText = "");

/// <summary>A project file that a template may be read from.</summary>
internal sealed record TemplateFile(string Path, string Text);

/// <summary>The project's template files, and the project directory their relative paths start from.</summary>
internal sealed record TemplateFileSet(string ProjectDirectory, EquatableArray<TemplateFile> Files);

/// <summary>A template ready to emit: compiled C# or, beyond the compiled subset, runtime Scriban.</summary>
internal sealed record CompiledTemplate(PromptRole Role, string Text, string SourceName, string? Code);

/// <summary>A task ready to emit.</summary>
internal sealed record TaskSpec(
    TaskDeclaration Declaration,
    EquatableArray<CompiledTemplate> Templates,
    string OutputJsonSchema,
    string OutputGrammar,
    string SourceHash = "")
{
    /// <summary>What to write: the declaration's mode, lowered to stubs when a template has errors.</summary>
    public EmitMode Mode => Declaration.Mode;

    /// <summary>
    /// This spec without source positions (diagnostics, property and template locations), which
    /// the code does not use: moving a task in its file then leaves the code step unchanged.
    /// </summary>
    public TaskSpec WithoutPositions() => this with
    {
        Declaration = Declaration with
        {
            Diagnostics = default,
            DeclarationText = "", // in SourceHash already
            Objects = Declaration.Objects.Select(o => o with { Properties = o.Properties.Select(p => p with { Location = null }).ToEquatableArray() }).ToEquatableArray(),
            Templates = Declaration.Templates.Select(t => t with { AttributeLocation = null, InlineTextOffset = 0, InlineTextLine = 0, InlineTextColumn = 0 }).ToEquatableArray(),
        },
    };
}

namespace Distil.Generators.Model;

// The model of [Tool] methods. Like every spec of this generator it holds only strings, bools,
// enums and equatable arrays: never a symbol, syntax node or Location (positions travel with the
// diagnostics only), so that an unchanged method is cached.

/// <summary>What a tool parameter's value (or each item of a list) is read as.</summary>
internal enum ToolValueKind
{
    String,
    Boolean,
    Int16,
    Int32,
    Int64,
    Byte,
    SByte,
    UInt16,
    UInt32,
    UInt64,
    Single,
    Double,
    Decimal,
    Enum,
    DateTime,
    DateTimeOffset,
    Guid,
    CancellationToken,
}

/// <summary>How a list parameter is built from the JSON array: an array, or a <c>List&lt;T&gt;</c> (which every list interface takes).</summary>
internal enum ToolCollection
{
    None,
    Array,
    List,
}

/// <summary>What the tool method returns, and so how its result is awaited.</summary>
internal enum ToolReturn
{
    Void,
    Value,
    Task,
    TaskOfValue,
    ValueTask,
    ValueTaskOfValue,
}

/// <summary>One parameter of a tool method.</summary>
internal sealed record ToolParameterSpec(
    string Name,
    string TypeName,
    string ValueTypeName,
    ToolValueKind Kind,
    ToolCollection Collection,
    bool Nullable,
    string? DefaultLiteral,
    EquatableArray<string> EnumMembers);

/// <summary>One [Tool] method: where it is declared, its tool name, description, schema and parameters.</summary>
internal sealed record ToolMethodSpec(
    string ClassFullName,
    string Namespace,
    string ClassName,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string MethodName,
    bool IsStatic,
    string ToolName,
    string Description,
    string SchemaJson,
    EquatableArray<ToolParameterSpec> Parameters,
    ToolReturn Return);

/// <summary>What reading one [Tool] method gave: its spec (null when it cannot be a tool) and its diagnostics.</summary>
internal sealed record ToolMethodResult(ToolMethodSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>The tool methods of one class, in declaration order: one generated file.</summary>
internal sealed record ToolClassSpec(
    string FullName,
    string Namespace,
    string ClassName,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    EquatableArray<ToolMethodSpec> Methods);

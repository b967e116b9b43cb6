using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Distil.Generators.Diagnostics;

/// <summary>
/// Every diagnostic of the Distil generator. IDs are never reused; each has a section in
/// docs/diagnostics.md with a wrong and a right example.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Distil";
    private const string HelpBase = "https://github.com/distil-dotnet/distil/blob/main/docs/diagnostics.md#";

    public static readonly DiagnosticDescriptor TaskClassNotPartial = Create(
        "DISTIL001", "Task class must be partial",
        "Task class '{0}' must be declared partial so that Distil can generate its members; add the 'partial' modifier",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor TemplateDoesNotParse = Create(
        "DISTIL002", "Template does not parse",
        "The {0} template of task '{1}' does not parse at {2}: {3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnknownTemplateVariable = Create(
        "DISTIL003", "Unknown template variable",
        "Template variable '{0}' is not an input column or template parameter of task '{1}'{2}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor TemplateFileNotFound = Create(
        "DISTIL004", "Template file not found",
        "The {0} template file '{1}' of task '{2}' is not among the project's AdditionalFiles; template files end in .sbn (or .scriban): put it under Prompts/ or add <AdditionalFiles Include=\"{1}\" /> to the project",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedOutputType = Create(
        "DISTIL005", "Output type cannot be expressed as a JSON schema",
        "Property '{0}' of output type '{1}' has type '{2}', which the output JSON schema cannot express: {3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnusedInputColumn = Create(
        "DISTIL006", "Input column not used by any template",
        "Input column '{0}' of task '{1}' is not used by any of its templates; use it in a prompt or remove it from the input record",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor DuplicateColumn = Create(
        "DISTIL007", "Two properties map to one column",
        "Properties '{0}' and '{1}' of '{2}' both map to column '{3}'; give one of them another name with [Column(\"...\")]",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedInputType = Create(
        "DISTIL008", "Input type cannot be read from a row",
        "Property '{0}' of input type '{1}' has type '{2}', which cannot be read from a row column: {3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor TaskClassWithoutTaskBase = Create(
        "DISTIL009", "Task class must derive from LlmTask<TInput, TOutput>",
        "Task class '{0}' must be a class deriving from Distil.LlmTask<TInput, TOutput>, with classes (usually records) for its input and output",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor TaskWithoutPrompt = Create(
        "DISTIL010", "Task has no user prompt",
        "Task '{0}' has no [UserPrompt]; add [UserPrompt(\"...\")] or [UserPrompt(File = \"Prompts/....sbn\")]",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor AmbiguousPrompt = Create(
        "DISTIL011", "Prompt needs exactly one of template text and File",
        "The [{0}] of task '{1}' {2}; give either the template text, [{0}(\"...\")], or a file, [{0}(File = \"Prompts/....sbn\")]",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ParseOutputSignature = Create(
        "DISTIL012", "ParseOutput has the wrong signature",
        "Method 'ParseOutput' of task '{0}' is not used because its signature is not '{1}? ParseOutput(string text, {2} input)'; answers are parsed as JSON instead",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor FormatMessagesWithPrompts = Create(
        "DISTIL013", "Task builds its chat both with FormatMessages and with prompts",
        "Task '{0}' has a FormatMessages method and prompt attributes; it must build its chat one way: remove the [SystemPrompt]/[UserPrompt] attributes or the method",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor RowRuleInput = Create(
        "DISTIL015", "A row rule names no list of the input",
        "[{0}(\"{1}\")] on '{2}' of task '{3}' names no list property of the input record; use nameof(Input.Property) of a list (of text, for [OneOf])",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor FormatMessagesSignature = Create(
        "DISTIL014", "FormatMessages has the wrong signature",
        "Method 'FormatMessages' of task '{0}' is not used because its signature is not 'IReadOnlyList<ChatMessage> FormatMessages({1} input)'",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor PipelineColumnNotWritten = Create(
        "DISTIL016", "A pipeline step reads a column no earlier step writes",
        "{0} reads column '{1}', which no earlier step writes; the rows there have {2}{3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor PipelineColumnType = Create(
        "DISTIL017", "A pipeline step reads a column as another type than written",
        "{0} reads column '{1}' as {2}, but {3} writes it as {4}",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor PipelineMappingUnknownColumn = Create(
        "DISTIL018", "A column mapping names a column the task does not have",
        "Task '{0}' has no {1} '{2}' to map; its {1}s are {3}{4}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor StepClassNotPartial = Create(
        "DISTIL019", "Step class must be partial",
        "Step class '{0}' must be declared partial so that Distil can generate its row mapping, columns and signature; add the 'partial' modifier",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor StepClassWithoutStepBase = Create(
        "DISTIL020", "Step class must derive from a typed step base",
        "Step class '{0}' must be a class deriving from Distil.Step<TIn, TOut>, ManyStep<TIn, TOut>, GlobalStep<TIn, TOut> or GeneratorStep<TOut>, with classes (usually records) for its input and output",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedToolParameter = Create(
        "DISTIL021", "Tool parameter type cannot be read from a tool call",
        "Parameter '{0}' of tool method '{1}' has type '{2}', which a tool call's JSON arguments cannot give; {3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ToolMethodNotSupported = Create(
        "DISTIL022", "Method cannot be a tool",
        "Method '{0}' cannot be a [Tool]: {1}",
        DiagnosticSeverity.Error);

    public static readonly IReadOnlyList<DiagnosticDescriptor> All =
    [
        TaskClassNotPartial, TemplateDoesNotParse, UnknownTemplateVariable, TemplateFileNotFound,
        UnsupportedOutputType, UnusedInputColumn, DuplicateColumn, UnsupportedInputType,
        TaskClassWithoutTaskBase, TaskWithoutPrompt, AmbiguousPrompt, ParseOutputSignature,
        FormatMessagesWithPrompts, FormatMessagesSignature, RowRuleInput, PipelineColumnNotWritten, PipelineColumnType,
        PipelineMappingUnknownColumn, StepClassNotPartial, StepClassWithoutStepBase, UnsupportedToolParameter,
        ToolMethodNotSupported,
    ];

    private static readonly Dictionary<string, DiagnosticDescriptor> Index = All.ToDictionary(d => d.Id);

    public static DiagnosticDescriptor ById(string id) => Index[id];

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true,
            helpLinkUri: HelpBase + id.ToLowerInvariant());
}

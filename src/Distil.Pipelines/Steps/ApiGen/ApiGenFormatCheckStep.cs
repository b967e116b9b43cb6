using System.Text.Json.Nodes;
using Distil.Mapping;

namespace Distil.Pipelines;

/// <summary>
/// The format check of an APIGen-style function-calling dataset: a row's expected calls
/// (<c>answers</c>) parse, each names a tool of the row's definitions (<c>tools</c>), and its
/// arguments fit that tool's parameter schema (<see cref="ArgumentSchemaCheck"/>). Adds
/// <c>keep_row_after_format_check</c> and <c>format_check_reason</c> (null when the row passes);
/// with keep-only, a failing row is dropped instead.
/// </summary>
internal sealed class ApiGenFormatCheckStep(string name, string tools, string answers, bool keepOnlyPassing) : RowStep(name)
{
    /// <summary>The pass/fail column.</summary>
    public const string KeepColumn = "keep_row_after_format_check";

    /// <summary>Why the row failed; null when it passed.</summary>
    public const string ReasonColumn = "format_check_reason";

    public override string Kind => "apigen_format_check";

    public override IReadOnlyList<string> RequiredColumns => [tools, answers];

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) =>
        parents[0]?.With([new Column(KeepColumn, ColumnType.Boolean), new Column(ReasonColumn, ColumnType.String) { Nullable = true }]);

    public override string Settings() => $"{tools}|{answers}|{keepOnlyPassing}";

    protected internal override RowCountRule CountRows(RowCountContext input) => keepOnlyPassing
        ? RowCountRule.AtMost($"apigen_format_check '{Name}' drops the rows whose calls do not fit their tools")
        : RowCountRule.Same();

    protected override IReadOnlyList<JsonObject> Apply(JsonObject row)
    {
        var reason = Check(row);
        if (reason is not null && keepOnlyPassing) return [];
        row[KeepColumn] = reason is null;
        row[ReasonColumn] = reason;
        return [row];
    }

    // The first thing wrong with the row's calls, or null when they all fit.
    private string? Check(JsonObject row)
    {
        var (definitions, toolsError) = FunctionCalls.ReadTools(row[tools], tools);
        if (definitions is null) return toolsError;
        var (calls, callsError) = FunctionCalls.ReadCalls(row[answers], answers);
        if (calls is null) return callsError;
        foreach (var call in calls)
        {
            if (!definitions.TryGetValue(call.Name, out var schema))
            {
                var known = definitions.Count == 0 ? "none" : string.Join(", ", definitions.Keys.Order(StringComparer.Ordinal));
                return $"the call names the tool '{call.Name}', which is not one of the row's tools ({known})";
            }
            if (ArgumentSchemaCheck.Check(call.Name, schema, call.Arguments) is { } wrong) return wrong;
        }
        return null;
    }
}

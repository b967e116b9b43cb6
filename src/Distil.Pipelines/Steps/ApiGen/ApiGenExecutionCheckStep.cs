using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mapping;
using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>
/// The execution check of an APIGen-style function-calling dataset: each expected call of a row
/// (<c>answers</c>) is run against the given tools, in order, and what each returned is kept in
/// <c>execution_result</c>. A call that names no given tool, throws, passes its timeout, or
/// answers with an MCP error result fails the row: <c>keep_row_after_execution_check</c> is false
/// and <c>execution_check_reason</c> says which call and why (null when the row passes); with
/// keep-only, a failing row is dropped instead. The calls run once per row: a resumed run replays
/// the stored rows and runs no call again.
/// </summary>
internal sealed class ApiGenExecutionCheckStep(string name, IReadOnlyList<AIFunction> functions, string answers, TimeSpan timeout, bool keepOnlyPassing) : RowStep(name)
{
    /// <summary>The pass/fail column.</summary>
    public const string KeepColumn = "keep_row_after_execution_check";

    /// <summary>What each call returned, in order (the failing call's error last).</summary>
    public const string ResultColumn = "execution_result";

    /// <summary>Why the row failed; null when it passed.</summary>
    public const string ReasonColumn = "execution_check_reason";

    private readonly Dictionary<string, AIFunction> _byName = ByName(functions);

    public override string Kind => "apigen_execution_check";

    public override IReadOnlyList<string> RequiredColumns => [answers];

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => parents[0]?.With([
        new Column(KeepColumn, ColumnType.Boolean),
        new Column(ResultColumn, ColumnType.ListOf(ColumnType.String)) { Nullable = true },
        new Column(ReasonColumn, ColumnType.String) { Nullable = true },
    ]);

    // The tools are part of what the step computes: another tool, description or schema reruns it.
    public override string Settings() =>
        $"{answers}|{timeout.TotalMilliseconds}|{keepOnlyPassing}|" +
        string.Join(";", _byName.Values.OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => $"{f.Name}:{f.Description}:{f.JsonSchema.GetRawText()}"));

    protected internal override RowCountRule CountRows(RowCountContext input) => keepOnlyPassing
        ? RowCountRule.AtMost($"apigen_execution_check '{Name}' drops the rows whose calls fail")
        : RowCountRule.Same();

    // Only ApplyAsync runs tools; the estimate before a run must not, so it sees every row kept.
    protected override IReadOnlyList<JsonObject> Apply(JsonObject row) => [row];

    protected override async ValueTask<IReadOnlyList<JsonObject>> ApplyAsync(JsonObject row, CancellationToken cancellationToken)
    {
        var results = new JsonArray();
        var reason = await RunCallsAsync(row, results, cancellationToken).ConfigureAwait(false);
        if (reason is not null && keepOnlyPassing) return [];
        row[KeepColumn] = reason is null;
        row[ResultColumn] = results;
        row[ReasonColumn] = reason;
        return [row];
    }

    // Runs the calls in order until one fails; each result (or the failure) goes into `results`.
    private async Task<string?> RunCallsAsync(JsonObject row, JsonArray results, CancellationToken cancellationToken)
    {
        var (calls, error) = FunctionCalls.ReadCalls(row[answers], answers);
        if (calls is null) return error;
        for (var i = 0; i < calls.Count; i++)
        {
            var (result, failure) = await RunAsync(calls[i], cancellationToken).ConfigureAwait(false);
            results.Add((JsonNode?)JsonValue.Create(result ?? failure));
            if (failure is not null) return $"call {i + 1} ('{calls[i].Name}') failed: {failure}";
        }
        return null;
    }

    // Rule: a call that throws, times out or reports an error fails; only the run's cancellation stops the step.
    private async Task<(string? Result, string? Failure)> RunAsync(FunctionCall call, CancellationToken cancellationToken)
    {
        if (!_byName.TryGetValue(call.Name, out var function))
        {
            var known = _byName.Count == 0 ? "none" : string.Join(", ", _byName.Keys.Order(StringComparer.Ordinal));
            return (null, $"there is no tool named '{call.Name}' (the tools are: {known})");
        }
        var arguments = new AIFunctionArguments(call.Arguments.ToDictionary(a => a.Key, a => (object?)Element(a.Value)));
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        // On the thread pool, so a tool that blocks before its first await cannot outlive the timeout unseen.
        var invocation = Task.Run(() => function.InvokeAsync(arguments, limit.Token).AsTask(), CancellationToken.None);
        try
        {
            var finished = await Task.WhenAny(invocation, Task.Delay(Timeout.InfiniteTimeSpan, limit.Token)).ConfigureAwait(false);
            if (finished != invocation)
            {
                cancellationToken.ThrowIfCancellationRequested();
                _ = invocation.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                return (null, $"it did not answer within {timeout.TotalSeconds:0.###} s");
            }
            var result = await invocation.ConfigureAwait(false);
            return IsErrorResult(result) ? (null, $"it answered with an error: {ToolLoop.ResultText(result)}") : (ToolLoop.ResultText(result) ?? "", null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return (null, $"it did not answer within {timeout.TotalSeconds:0.###} s");
        }
        catch (Exception thrown)
        {
            return (null, $"{thrown.GetType().Name}: {thrown.Message}");
        }
    }

    // An MCP tool reports a failure as a result with "isError": true rather than by throwing.
    private static bool IsErrorResult(object? result) => result switch
    {
        JsonElement { ValueKind: JsonValueKind.Object } element => element.TryGetProperty("isError", out var flag) && flag.ValueKind == JsonValueKind.True,
        JsonObject node => node["isError"] is JsonValue flag && flag.GetValueKind() == JsonValueKind.True,
        _ => false,
    };

    // Arguments as JsonElements, as a model's call gives them to a tool.
    private static JsonElement Element(JsonNode? value)
    {
        using var document = JsonDocument.Parse(value?.ToJsonString() ?? "null");
        return document.RootElement.Clone();
    }

    private static Dictionary<string, AIFunction> ByName(IReadOnlyList<AIFunction> functions)
    {
        var byName = new Dictionary<string, AIFunction>(StringComparer.Ordinal);
        foreach (var function in functions)
        {
            if (!byName.TryAdd(function.Name, function))
                throw new PipelineException($"The execution check was given two tools named '{function.Name}'. Give each tool a name of its own.");
        }
        return byName;
    }
}

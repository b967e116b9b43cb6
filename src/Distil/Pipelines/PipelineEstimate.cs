using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>What <see cref="Pipeline.EstimateAsync"/> uses.</summary>
public sealed class EstimateOptions
{
    /// <summary>Runtime parameters to apply first, as a run would.</summary>
    public RuntimeParameters? Parameters { get; init; }

    /// <summary>Prices, for a cost range (null: tokens only).</summary>
    public PriceTable? Prices { get; init; }
}

/// <summary>
/// What one task step of a pipeline will ask, counted before the run from the very prompts it will
/// send: its rows and calls, the input tokens of those prompts (with the model's tokenizer when
/// the client knows it, else a stated approximation), a bound on output tokens from
/// <c>max_new_tokens</c>, and a cost range when the model has a price.
/// </summary>
/// <param name="Step">The step's name.</param>
/// <param name="Task">The task's type name.</param>
/// <param name="Model">The model its client names, if any.</param>
/// <param name="Rows">Input rows (null when they come from an LLM step before it, so are known only after that runs).</param>
/// <param name="Calls">LLM calls: rows × generations (a task that re-asks or makes dependent calls may make more).</param>
/// <param name="InputTokens">Tokens of every prompt it will send.</param>
/// <param name="Tokenizer">How the tokens were counted.</param>
/// <param name="ExactTokens">Whether that is the model's own tokenizer.</param>
/// <param name="MaxOutputTokensPerCall">The task's <c>max_new_tokens</c>, if set.</param>
/// <param name="MinCost">The cost of the input tokens alone, in dollars.</param>
/// <param name="MaxCost">The cost with every call writing <c>max_new_tokens</c> tokens.</param>
/// <param name="Note">What the figures leave out.</param>
public sealed record TaskEstimate(string Step, string Task, string? Model, long? Rows, long? Calls, long? InputTokens, string Tokenizer, bool ExactTokens,
    int? MaxOutputTokensPerCall, decimal? MinCost, decimal? MaxCost, string? Note)
{
    /// <summary>The most output tokens the calls may write (null without <c>max_new_tokens</c>).</summary>
    public long? OutputTokenBound => Calls * MaxOutputTokensPerCall;
}

/// <summary>A pipeline's schema and what each task step will ask, made without calling a model.</summary>
/// <param name="schema">Every step's columns and types.</param>
/// <param name="tasks">One estimate per task step, in run order.</param>
/// <param name="prices">The prices the costs come from, if any: the text says which models each matched.</param>
public sealed class PipelineEstimate(PipelineSchema schema, IReadOnlyList<TaskEstimate> tasks, PriceTable? prices = null)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Every step's columns and types.</summary>
    public PipelineSchema Schema { get; } = schema;

    /// <summary>One estimate per task step, in run order.</summary>
    public IReadOnlyList<TaskEstimate> Tasks { get; } = tasks;

    /// <summary>The prices the costs come from (null: none given).</summary>
    public PriceTable? Prices { get; } = prices;

    /// <summary>The schema, then a block per task: rows, calls, tokens and cost; then which models each price matched.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Schema.ToString()).AppendLine().AppendLine("Estimate (no call made):");
        foreach (var task in Tasks)
        {
            text.Append("  ").Append(task.Step).Append(" (").Append(task.Task).Append(task.Model is null ? "" : ", " + task.Model).AppendLine(")");
            if (task.Calls is null)
            {
                text.Append("    ").AppendLine(task.Note);
                continue;
            }
            text.Append("    rows ").Append(N(task.Rows)).Append(", calls ").Append(N(task.Calls))
                .Append(", input tokens ").Append(task.ExactTokens ? "" : "≈").Append(N(task.InputTokens)).Append(" (").Append(task.Tokenizer).AppendLine(")");
            text.Append("    output tokens ").AppendLine(task.OutputTokenBound is { } bound
                ? $"at most {N(bound)} (max_new_tokens {task.MaxOutputTokensPerCall})"
                : "unbounded (set max_new_tokens to bound them)");
            text.Append("    cost ").AppendLine((task.MinCost, task.MaxCost) switch
            {
                (null, _) => task.Model is null ? "unknown (the client names no model to price)" : $"unknown (no price for '{task.Model}': --price \"{PriceTable.NamesOf(task.Model)[^1]}=IN/OUT\")",
                ({ } low, { } high) => $"{Money(low)} to {Money(high)}",
                ({ } low, null) => $"at least {Money(low)} (output unbounded)",
            });
            if (task.Note is not null) text.Append("    ").AppendLine(task.Note);
        }
        var known = Tasks.Where(t => t.MinCost is not null).ToList();
        if (known.Count > 0)
        {
            text.Append("  total cost of priced tasks: ").Append(Money(known.Sum(t => t.MinCost!.Value)))
                .AppendLine(known.All(t => t.MaxCost is not null) ? " to " + Money(known.Sum(t => t.MaxCost!.Value)) : " or more");
        }
        if (Prices is not null)
        {
            text.AppendLine("Prices:");
            foreach (var line in Prices.Explain(Tasks.Select(t => t.Model))) text.Append("  ").AppendLine(line);
        }
        return text.ToString();
    }

    private static string N(long? value) => value?.ToString("N0", Invariant) ?? "?";

    private static string Money(decimal dollars) => "$" + dollars.ToString(dollars < 10 ? "0.0000" : "N2", Invariant);
}

/// <summary>Counts what each task step will ask, reading the sources through the plain steps before it.</summary>
internal static class PipelineEstimator
{
    public static async Task<PipelineEstimate> EstimateAsync(Pipeline pipeline, EstimateOptions options, CancellationToken cancellationToken)
    {
        var (order, schemas) = await PipelineRunner.ValidateAsync(pipeline, options.Parameters, cancellationToken).ConfigureAwait(false);
        var schema = new PipelineSchema(order.Select(step => new StepSchema(step.Name, step.Kind, schemas[step])).ToList());
        var tasks = new List<TaskEstimate>();
        foreach (var node in order.OfType<TaskNode>())
        {
            tasks.Add(await EstimateAsync(node, options.Prices, cancellationToken).ConfigureAwait(false));
        }
        return new PipelineEstimate(schema, tasks, options.Prices);
    }

    private static async Task<TaskEstimate> EstimateAsync(TaskNode node, PriceTable? prices, CancellationToken cancellationToken)
    {
        var task = node.Task;
        var model = RunLog.ModelOf(task);
        var counter = task.Llm?.GetService<ITokenCounter>() ?? ApproximateTokenCounter.Instance;
        var maxTokens = task.GenerationOptions?.MaxOutputTokens;
        // The plain steps between the task and a source: their rows are known before any call.
        var chain = new List<RowwiseNode>();
        StepNode? current = node.Parents.Count == 1 ? node.Parents[0] : null;
        while (current is RowwiseNode rowwise && rowwise.Parents.Count == 1)
        {
            chain.Insert(0, rowwise);
            current = rowwise.Parents[0];
        }
        if (current is not LoadNode load)
        {
            var before = current?.Name ?? string.Join(", ", node.Parents.Select(p => p.Name));
            return new TaskEstimate(node.Name, task.GetType().Name, model, null, null, null, counter.Name, counter.IsExact, maxTokens, null, null,
                $"its rows come from step '{before}', whose rows are known only once it has run: rows, calls and tokens are counted then.");
        }

        long rows = 0, tokens = 0, index = 0;
        await foreach (var source in load.Source.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            IReadOnlyList<KeyedRow> current1 = [new KeyedRow(RowKey.Source(index++), source)];
            foreach (var step in chain)
            {
                current1 = current1.SelectMany(r => StepNode.Keyed(r.Key, step.Transform(r.Row, r.Key))).ToList();
            }
            foreach (var row in current1)
            {
                IReadOnlyList<ChatMessage> messages;
                try
                {
                    // The prompt the run will send: the row as the task sees it, mappings applied.
                    messages = node.FormatRow(row.Row);
                }
                catch (Exception error) when (error is RowValueException or InvalidOperationException or FormatException)
                {
                    throw new PipelineException($"Step '{node.Name}' (task) cannot format row {row.Key}: {error.Message}", error);
                }
                rows++;
                tokens += (long)counter.CountTokens(messages) * task.NumGenerations;
            }
        }
        var calls = rows * task.NumGenerations;
        var price = prices?.Find(model);
        decimal? minCost = price is { } p ? p.InputPerMillion * tokens / 1_000_000m : null;
        decimal? maxCost = price is { } q && maxTokens is { } most ? minCost + q.OutputPerMillion * calls * most / 1_000_000m : null;
        var note = task.MakesDependentCalls ? "it makes several dependent calls per generation: the first call of each is counted."
            : task.Reasks > 0 ? $"answers that do not fit are asked again (up to {task.Reasks} times), which is not counted."
            : null;
        return new TaskEstimate(node.Name, task.GetType().Name, model, rows, calls, tokens, counter.Name, counter.IsExact, maxTokens, minCost, maxCost, note);
    }
}

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

    /// <summary>
    /// The run directory of an earlier run of the pipeline (null: none). The estimate then says, per
    /// task step, whether the run replays its stored rows or recomputes it (and why), how many of
    /// its requests already have an answer kept there (reused: no call) and how many are new, and
    /// what the new ones cost. The directory is only read: nothing in it is created or changed.
    /// </summary>
    public string? RunDirectory { get; init; }
}

/// <summary>
/// What a task step takes from an earlier run in the run directory (<see cref="EstimateOptions.RunDirectory"/>).
/// </summary>
/// <param name="Recompute">Why the step recomputes; null when it replays (its signature is the stored one) or is new to the directory.</param>
/// <param name="ReplayedRows">Input rows whose stored outputs are replayed: no call.</param>
/// <param name="ReusedCalls">Requests of the other rows that have an answer kept in the directory (no call); null when the prompts exist only once earlier steps have run.</param>
/// <param name="NewCalls">Requests that will be sent: exact, or a bound (see <see cref="NewCallsAreExact"/>).</param>
/// <param name="NewCallsAreExact">Whether <see cref="NewCalls"/> is exact; false: an upper bound.</param>
public sealed record StepReuse(StepRecompute? Recompute, long ReplayedRows, long? ReusedCalls, long? NewCalls, bool NewCallsAreExact)
{
    /// <summary>Input tokens of the new requests only (null when their prompts are not known before the run).</summary>
    public long? NewInputTokens { get; init; }

    /// <summary>The cost of the new requests' input tokens, in dollars (null without a price or known prompts).</summary>
    public decimal? NewMinCost { get; init; }

    /// <summary>The cost of the new requests with every one writing <c>max_new_tokens</c> tokens (null without a bound).</summary>
    public decimal? NewMaxCost { get; init; }

    /// <summary>What the figures leave out, if anything.</summary>
    public string? Note { get; init; }
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
/// <param name="Rows">Input rows: exact, or an upper bound (see <see cref="RowsAreExact"/>); null only when no bound can be known before the run (the note says why).</param>
/// <param name="Calls">LLM calls: rows × generations (a task that re-asks or makes dependent calls may make more); exact or a bound as the rows are.</param>
/// <param name="InputTokens">Tokens of every prompt it will send (null when its prompts hold what earlier steps make, so exist only once they have run).</param>
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

    /// <summary>Whether <see cref="Rows"/> and <see cref="Calls"/> are exact; false: they are upper bounds (a step before may drop rows).</summary>
    public bool RowsAreExact { get; init; } = true;

    /// <summary>
    /// How the rows were reached when not simply read from the source, one step a line: e.g.
    /// <c>group_columns 'both' keeps the source's 100 rows (one per source row, joined across its 2 branches)</c>
    /// or <c>filter 'long_only' may drop rows</c>.
    /// </summary>
    public IReadOnlyList<string> RowsBasis { get; init; } = [];

    /// <summary>
    /// With a run directory (<see cref="EstimateOptions.RunDirectory"/>): what the step replays or
    /// reuses from the earlier run there, and what it will ask anew; null without one.
    /// </summary>
    public StepReuse? Reuse { get; init; }

    /// <summary>
    /// For a task whose input tokens are not known before the run: the most its output may cost
    /// (calls × <c>max_new_tokens</c> at the model's output price), or null.
    /// </summary>
    public decimal? OutputCostBound { get; init; }
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

    /// <summary>The run directory the estimate read (<see cref="EstimateOptions.RunDirectory"/>), null when none was given.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>Whether <see cref="RunDirectory"/> held an earlier run (false: every call is new).</summary>
    public bool HasEarlierRun { get; init; }

    /// <summary>The steps a run in <see cref="RunDirectory"/> recomputes instead of replaying, with why, in run order.</summary>
    public IReadOnlyList<StepRecompute> Recomputed { get; init; } = [];

    /// <summary>Calls of all tasks, or null when a task's rows have no bound before the run.</summary>
    public long? TotalCalls => Tasks.All(t => t.Calls is not null) ? Tasks.Sum(t => t.Calls!.Value) : null;

    /// <summary>Whether <see cref="TotalCalls"/> is exact; false: it is an upper bound.</summary>
    public bool TotalCallsAreExact => Tasks.All(t => t.RowsAreExact && t.Calls is not null);

    /// <summary>
    /// The schema, then a block per task (rows and calls, exact or "at most", with how they were
    /// bounded; tokens; cost), then the totals, then which models each price matched.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder(Schema.ToString()).AppendLine().AppendLine("Estimate (no call made):");
        AppendEarlierRun(text);
        foreach (var task in Tasks)
        {
            AppendTask(text, task, CostOf(task));
            if (task.Reuse is { } reuse) AppendReuse(text, task, reuse);
        }
        AppendTotals(text);
        AppendNewTotals(text);
        // Which model each price matched, and how to price a model that has none (also when no price was given).
        var lines = (Prices ?? new PriceTable()).Explain(Tasks.Select(t => t.Model));
        if (lines.Count > 0)
        {
            text.AppendLine(Prices is null ? "Prices (none given):" : "Prices:");
            foreach (var line in lines) text.Append("  ").AppendLine(line);
        }
        return text.ToString();
    }

    private static void AppendTask(StringBuilder text, TaskEstimate task, string cost)
    {
        text.Append("  ").Append(task.Step).Append(" (").Append(task.Task).Append(task.Model is null ? "" : ", " + task.Model).AppendLine(")");
        if (task.Calls is null)
        {
            text.Append("    ").AppendLine(task.Note);
            return;
        }
        var bound = task.RowsAreExact ? "" : "at most ";
        text.Append("    rows ").Append(bound).Append(N(task.Rows)).Append(", calls ").Append(bound).Append(N(task.Calls));
        text.AppendLine(task.InputTokens is { } tokens
            ? $", input tokens {bound}{(task.ExactTokens ? "" : "≈")}{N(tokens)} ({task.Tokenizer})"
            : "");
        foreach (var step in task.RowsBasis) text.Append("      ").AppendLine(step);
        text.Append("    output tokens ").AppendLine(task.OutputTokenBound is { } most
            ? $"at most {N(most)} (max_new_tokens {task.MaxOutputTokensPerCall})"
            : "unbounded (set max_new_tokens to bound them)");
        text.Append("    cost ").AppendLine(cost);
        if (task.Note is not null) text.Append("    ").AppendLine(task.Note);
    }

    // What the run directory holds, before the tasks: each step that recomputes, and why.
    private void AppendEarlierRun(StringBuilder text)
    {
        if (RunDirectory is null) return;
        if (!HasEarlierRun)
        {
            text.Append("  run directory ").Append(RunDirectory).AppendLine(": no earlier run; every call is new");
            return;
        }
        text.Append("  run directory ").Append(RunDirectory).AppendLine(Recomputed.Count == 0 ? ": every step replays its stored rows" : ":");
        foreach (var step in Recomputed) text.Append("    ").AppendLine(step.Message);
    }

    private void AppendReuse(StringBuilder text, TaskEstimate task, StepReuse reuse)
    {
        text.Append("    run directory: ");
        var replayed = reuse.ReplayedRows == 1 ? "1 stored row" : $"{N(reuse.ReplayedRows)} stored rows";
        text.Append(reuse.Recompute is { } why ? $"recomputes ({why.Reason})" : reuse.ReplayedRows > 0 ? $"replays {replayed}" : "nothing stored");
        if (reuse.Recompute is null && reuse.ReplayedRows > 0 && reuse.NewCalls == 0) text.Append(", 0 calls");
        else if (reuse.ReusedCalls is { } reused) text.Append($"; {N(reused)} calls reused from answers.db, {N(reuse.NewCalls)} new");
        else if (reuse.NewCalls is { } most) text.Append($"; at most {N(most)} new calls");
        text.AppendLine();
        if (reuse.Note is not null) text.Append("      ").AppendLine(reuse.Note);
        if (reuse.NewCalls is > 0 && task.Model is not null && Prices?.Find(task.Model) is not null)
        {
            var bound = reuse.NewCallsAreExact ? "" : "at most ";
            text.Append("      cost of the new calls ").AppendLine((reuse.NewMinCost, reuse.NewMaxCost) switch
            {
                (_, { } high) when !reuse.NewCallsAreExact => $"at most {Money(high)}",
                ({ } low, { } high) => $"{Money(low)} to {Money(high)}",
                ({ } low, null) => $"at least {bound}{Money(low)} (output unbounded)",
                _ => "known once their prompts exist",
            });
        }
    }

    // Only with a run directory: the calls the run will make, after replays and reused answers.
    private void AppendNewTotals(StringBuilder text)
    {
        if (RunDirectory is null || Tasks.Count == 0 || Tasks.Any(t => t.Reuse is null)) return;
        var reuses = Tasks.Select(t => t.Reuse!).ToList();
        if (reuses.Any(r => r.NewCalls is null))
        {
            text.AppendLine("  total new calls: unknown before the run (a step's rows are known only once it runs)");
            return;
        }
        var exact = reuses.All(r => r.NewCallsAreExact);
        text.Append("  total new calls: ").Append(exact ? "" : "at most ").Append(N(reuses.Sum(r => r.NewCalls!.Value)))
            .Append(" (").Append(N(reuses.Sum(r => r.ReusedCalls ?? 0))).Append(" reused from answers.db, ")
            .Append(N(reuses.Sum(r => r.ReplayedRows))).AppendLine(" stored rows replayed)");
        var priced = Tasks.Where(t => t.Model is not null && Prices?.Find(t.Model) is not null).ToList();
        if (priced.Count == 0) return;
        var unbounded = priced.Where(t => t.Reuse!.NewCalls > 0 && t.Reuse.NewMaxCost is null).ToList();
        var low = priced.Sum(t => t.Reuse!.NewMinCost ?? 0);
        var high = priced.Sum(t => t.Reuse!.NewMaxCost ?? 0);
        text.Append("  total cost of new calls: ").AppendLine(
            unbounded.Count > 0 ? $"at least {Money(low)} (the output of {Names(unbounded)} has no max_new_tokens)"
            : exact && priced.All(t => t.Reuse!.NewMinCost is not null || t.Reuse.NewCalls == 0) ? $"{Money(low)} to {Money(high)}"
            : $"at most {Money(high)}");
    }

    private string CostOf(TaskEstimate task)
    {
        if (task.Model is null) return "unknown (the client names no model to price)";
        var priced = Prices?.Find(task.Model) is not null;
        if (!priced) return $"unknown (no price for '{task.Model}': see Prices below)";
        return (task.MinCost, task.MaxCost) switch
        {
            (null, _) when task.OutputCostBound is { } output => $"of the output at most {Money(output)}; of the input, known once its prompts exist",
            (null, _) => "known once its prompts exist (and the output is unbounded: set max_new_tokens to bound it)",
            (_, { } high) when !task.RowsAreExact => $"at most {Money(high)}",
            ({ } low, { } high) => $"{Money(low)} to {Money(high)}",
            ({ } low, null) when !task.RowsAreExact => $"unbounded (output unbounded; the input at most {Money(low)})",
            ({ } low, null) => $"at least {Money(low)} (output unbounded)",
        };
    }

    // The totals say what they cover: exact, an upper bound, or which tasks are left out and why.
    private void AppendTotals(StringBuilder text)
    {
        if (Tasks.Count == 0) return;
        var counted = Tasks.Where(t => t.Calls is not null).ToList();
        var left = Tasks.Where(t => t.Calls is null).ToList();
        var calls = N(counted.Sum(t => t.Calls!.Value));
        text.Append("  total: calls ").AppendLine(left.Count > 0
            ? $"{calls} for {counted.Count} of {Tasks.Count} tasks; no bound before the run for {Names(left)}"
            : TotalCallsAreExact ? $"{calls} (exact)"
            : $"at most {calls} (an upper bound: the rows of {Names(Tasks.Where(t => !t.RowsAreExact))} are bounds, as said above)");
        var withTokens = Tasks.Where(t => t.InputTokens is not null).ToList();
        if (withTokens.Count > 0)
        {
            var bound = withTokens.All(t => t.RowsAreExact) ? "" : "at most ";
            var approximate = withTokens.All(t => t.ExactTokens) ? "" : "≈";
            var rest = Tasks.Where(t => t.InputTokens is null).ToList();
            text.Append("  total input tokens ").Append(bound).Append(approximate).Append(N(withTokens.Sum(t => t.InputTokens!.Value)))
                .AppendLine(rest.Count > 0 ? $", and those of {Names(rest)}, counted once their prompts exist" : "");
        }
        if (Tasks.All(t => t.OutputTokenBound is not null))
        {
            text.Append("  total output tokens at most ").AppendLine(N(Tasks.Sum(t => t.OutputTokenBound!.Value)));
        }
        AppendTotalCost(text);
    }

    // Priced tasks only, saying which are left out; a range when every figure is exact, else a bound.
    private void AppendTotalCost(StringBuilder text)
    {
        var priced = Tasks.Where(t => t.Model is not null && Prices?.Find(t.Model) is not null && t.Calls is not null).ToList();
        if (priced.Count == 0) return;
        var inputLater = priced.Where(t => t.InputTokens is null).ToList();
        var unbounded = priced.Where(t => t.MaxCost is null && t.OutputCostBound is null).ToList();
        var low = priced.Sum(t => t.MinCost ?? 0);
        var high = priced.Sum(t => t.MaxCost ?? t.OutputCostBound ?? 0);
        text.Append("  total cost of priced tasks: ").Append(
            unbounded.Count > 0 ? $"unbounded (the output of {Names(unbounded)} has no max_new_tokens)"
            : priced.All(t => t.RowsAreExact) && inputLater.Count == 0 ? $"{Money(low)} to {Money(high)}"
            : $"at most {Money(high)}");
        if (inputLater.Count > 0) text.Append(", plus the input of ").Append(Names(inputLater)).Append(", known once their prompts exist");
        var left = Tasks.Except(priced).ToList();
        text.AppendLine(left.Count > 0 ? $"; not counting {Names(left)}" : "");
    }

    private static string Names(IEnumerable<TaskEstimate> tasks) => string.Join(", ", tasks.Select(t => $"'{t.Step}'"));

    private static string N(long? value) => value?.ToString("N0", Invariant) ?? "?";

    private static string Money(decimal dollars) => PriceTable.FormatDollars(dollars);
}

/// <summary>
/// Counts what each task step will ask. A task fed by a source through plain row steps (and
/// dedups, which only drop rows) has its prompts formatted and counted; every other task gets a
/// bound on its rows from <see cref="StepRowBounds"/>, and its tokens are known only once the
/// steps that make its rows have run.
/// </summary>
internal static class PipelineEstimator
{
    public static async Task<PipelineEstimate> EstimateAsync(Pipeline pipeline, EstimateOptions options, CancellationToken cancellationToken)
    {
        var (order, schemas) = await PipelineRunner.ValidateAsync(pipeline, options.Parameters, cancellationToken).ConfigureAwait(false);
        var schema = new PipelineSchema(order.Select(step => new StepSchema(step.Name, step.Kind, schemas[step])).ToList());
        // An earlier run in the run directory, read only: which steps replay, which recompute and why, which answers are kept.
        using var opened = options.RunDirectory is null ? null : EarlierRun.Open(options.RunDirectory, order);
        var earlier = opened is { HasStore: true } ? opened : null;
        var rows = new Dictionary<PipelineStep, StepRows>();
        var tasks = new List<TaskEstimate>();
        foreach (var step in order)
        {
            var chain = SourceChain.Of(step);
            if (step is TaskNode task)
            {
                tasks.Add(chain is not null
                    ? await CountAsync(task, chain, options.Prices, earlier, cancellationToken).ConfigureAwait(false)
                    : Bound(task, rows[task.Parents[0]], options.Prices, earlier));
            }
            rows[step] = chain is not null && step is not TaskNode
                ? await chain.CountAsync(cancellationToken).ConfigureAwait(false)
                : StepRowBounds.After(step, step.Parents.Select(p => rows[p]).ToList(), step.Parents.Select(p => schemas[p]).ToList());
        }
        return new PipelineEstimate(schema, tasks, options.Prices)
        {
            RunDirectory = opened?.Directory,
            HasEarlierRun = earlier is not null,
            Recomputed = earlier?.Recomputed ?? [],
        };
    }

    // A task whose prompts hold what earlier steps make: its rows and calls are bounded, its tokens are not known yet.
    private static TaskEstimate Bound(TaskNode node, StepRows before, PriceTable? prices, EarlierRun? earlier)
    {
        var task = node.Task;
        var model = RunLog.ModelOf(task);
        var counter = task.Llm?.GetService<ITokenCounter>() ?? ApproximateTokenCounter.Instance;
        var tokens = "input tokens are counted once their prompts exist: " + MadeFrom(node);
        var note = before.Rows is null ? $"rows unknown before the run: {before.Basis[^1]}." : tokens + ".";
        var outputCost = prices?.Find(model) is { } price && task.GenerationOptions?.MaxOutputTokens is { } most && before.Rows is { } n
            ? price.OutputPerMillion * n * task.NumGenerations * most / 1_000_000m
            : (decimal?)null;
        return new TaskEstimate(node.Name, task.GetType().Name, model, before.Rows, before.Rows * task.NumGenerations, null, counter.Name, counter.IsExact,
            task.GenerationOptions?.MaxOutputTokens, null, null, Join(note, RepeatNote(task)))
        {
            RowsAreExact = before.Exact,
            RowsBasis = before.Basis,
            OutputCostBound = outputCost,
            Reuse = earlier is null ? null : BoundReuse(node, before, earlier, outputCost),
        };
    }

    // The prompts of such a task exist only in the run: a replayed step asks at most for its rows
    // not stored yet, a recomputed one at most for every row, fewer when answers kept match.
    private static StepReuse BoundReuse(TaskNode node, StepRows before, EarlierRun earlier, decimal? outputCost)
    {
        var recompute = earlier.RecomputeOf(node);
        var replayed = recompute is null ? earlier.ReplayedKeys(node).Count : 0;
        var calls = before.Rows is { } rows ? Math.Max(0, rows - replayed) * node.Task.NumGenerations : (long?)null;
        return new StepReuse(recompute, replayed, null, calls, NewCallsAreExact: false)
        {
            NewMaxCost = calls is null || before.Rows is not > 0 ? null : outputCost * calls / (before.Rows * node.Task.NumGenerations),
            Note = calls is > 0 ? "answers kept in answers.db may be reused once the steps before it have run and its prompts exist" : null,
        };
    }

    // What the task's prompts are made from that the estimate cannot see: the answers of the
    // nearest LLM steps before it (through joins, plain steps and embeddings), or a step that makes rows only when it runs.
    private static string MadeFrom(TaskNode node)
    {
        var answers = new List<string>();
        var others = new List<PipelineStep>();
        var seen = new HashSet<PipelineStep>();
        var pending = new Stack<PipelineStep>(node.Parents);
        while (pending.TryPop(out var step))
        {
            if (!seen.Add(step)) continue;
            if (step is TaskNode task) answers.Add(task.Name);
            else if (step is RowwiseNode or DedupNode or JoinNode or EmbedNode) foreach (var parent in step.Parents) pending.Push(parent);
            else if (step is not LoadNode) others.Add(step);
        }
        var parts = new List<string>();
        if (answers.Count > 0) parts.Add($"they hold the answers of {string.Join(", ", answers.Order(StringComparer.Ordinal).Select(a => $"'{a}'"))}");
        parts.AddRange(others.Select(o => $"they are made from the rows of {o.Kind} step '{o.Name}'"));
        return (parts.Count > 0 ? string.Join(", and ", parts) : "they are made from rows known only in the run") + ", which exist only once the run gets there";
    }

    private static async Task<TaskEstimate> CountAsync(TaskNode node, SourceChain chain, PriceTable? prices, EarlierRun? earlier, CancellationToken cancellationToken)
    {
        var task = node.Task;
        var model = RunLog.ModelOf(task);
        var counter = task.Llm?.GetService<ITokenCounter>() ?? ApproximateTokenCounter.Instance;
        var maxTokens = task.GenerationOptions?.MaxOutputTokens;
        long tokens = 0;
        long asked = 0;
        using var reuse = earlier is null ? null : new ReuseCount(node, earlier, counter);
        var rows = await chain.CountAsync(async row =>
        {
            // A conditional step asks only for the rows that pass: the others cost nothing.
            if (node.Condition is { } when && !when.Passes(row.Row)) return;
            asked++;
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
            tokens += (long)counter.CountTokens(messages) * task.NumGenerations;
            if (reuse is not null) await reuse.AddAsync(row, asked - 1, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        var calls = asked * task.NumGenerations;
        var price = prices?.Find(model);
        decimal? minCost = price is { } p ? p.InputPerMillion * tokens / 1_000_000m : null;
        decimal? maxCost = price is { } q && maxTokens is { } most ? minCost + q.OutputPerMillion * calls * most / 1_000_000m : null;
        return new TaskEstimate(node.Name, task.GetType().Name, model, rows.Rows, calls, tokens, counter.Name, counter.IsExact, maxTokens, minCost, maxCost, RepeatNote(task))
        {
            RowsAreExact = rows.Exact,
            RowsBasis = rows.Basis,
            Reuse = reuse?.Result(price, maxTokens, rows.Exact),
        };
    }

    private static string? RepeatNote(LlmTask task) =>
        task.MakesDependentCalls ? "it makes several dependent calls per generation: the first call of each is counted."
        : task.Reasks > 0 ? $"answers that do not fit are asked again (up to {task.Reasks} times), which is not counted."
        : null;

    private static string? Join(string? first, string? second) => first is null ? second : second is null ? first : first + " " + second;
}

/// <summary>
/// A source and the plain steps after it, one parent each: row steps (keep, rename, expand, filter,
/// map, validate, fine-tuning formats), whose rows are made from the source's before the run, and
/// dedups, read as keeping every row (so what follows one is an upper bound).
/// </summary>
internal sealed class SourceChain(LoadNode load, IReadOnlyList<PipelineStep> steps)
{
    /// <summary>The chain that ends at <paramref name="step"/> (for a task: at its parent), or null when a step before it is not plain.</summary>
    public static SourceChain? Of(PipelineStep step)
    {
        var steps = new List<PipelineStep>();
        var current = step is TaskNode && step.Parents.Count == 1 ? step.Parents[0] : step;
        while (current is RowwiseNode or DedupNode && current.Parents.Count == 1)
        {
            steps.Insert(0, current);
            current = current.Parents[0];
        }
        return current is LoadNode load ? new SourceChain(load, steps) : null;
    }

    /// <summary>Reads the source through the steps, giving each row that comes out to <paramref name="each"/>.</summary>
    public Task<StepRows> CountAsync(Action<KeyedRow>? each, CancellationToken cancellationToken) =>
        CountAsync(each is null ? null : row =>
        {
            each(row);
            return ValueTask.CompletedTask;
        }, cancellationToken);

    /// <inheritdoc cref="CountAsync(Action{KeyedRow}?, CancellationToken)"/>
    public async Task<StepRows> CountAsync(Func<KeyedRow, ValueTask>? each, CancellationToken cancellationToken)
    {
        long rows = 0, index = 0;
        var dedups = steps.OfType<DedupNode>().ToList();
        var onePerSourceRow = dedups.Count == 0;
        var splits = false;
        await foreach (var source in load.Source.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            IReadOnlyList<KeyedRow> current = [new KeyedRow(RowKey.Source(index++), source)];
            foreach (var step in steps.OfType<RowwiseNode>())
            {
                current = current.SelectMany(r => PipelineStep.Keyed(r.Key, step.Transform(r.Row, r.Key))).ToList();
            }
            if (current.Count != 1) onePerSourceRow = false;
            if (current.Count > 1) splits = true;
            foreach (var row in current)
            {
                rows++;
                if (each is not null) await each(row).ConfigureAwait(false);
            }
        }
        return StepRows.Counted(rows, exact: dedups.Count == 0, onePerSourceRow, splits, dedups.Select(d => $"dedup '{d.Name}' drops duplicates"));
    }

    /// <inheritdoc cref="CountAsync(Action{KeyedRow}?, CancellationToken)"/>
    public Task<StepRows> CountAsync(CancellationToken cancellationToken) => CountAsync((Func<KeyedRow, ValueTask>?)null, cancellationToken);
}

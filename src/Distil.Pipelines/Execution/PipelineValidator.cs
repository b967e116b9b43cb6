using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>
/// Checks a pipeline before anything runs: unique names, the right number of parents, no cycles,
/// and every column a step needs present where it runs. Errors name the step, the column and what
/// is there instead.
/// </summary>
internal static class PipelineValidator
{
    /// <summary>The steps in an order where every step comes after its parents.</summary>
    /// <exception cref="PipelineException">The graph is not valid; the message lists every problem found.</exception>
    public static IReadOnlyList<PipelineStep> Order(Pipeline pipeline)
    {
        var problems = new List<string>();
        foreach (var duplicate in pipeline.Steps.GroupBy(s => s.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"{duplicate.Count()} steps are named '{duplicate.Key}'; step names must be unique (set the task's Name, or pass name:).");
        }
        if (pipeline.Steps.Count == 0) problems.Add("The pipeline has no steps; start it with Load(...).");
        foreach (var step in pipeline.Steps)
        {
            var (min, max) = step.ParentCount;
            if (step.Parents.Count < min)
            {
                problems.Add(min == 1
                    ? $"Step '{step.Name}' ({step.Kind}) is not connected to any step before it."
                    : $"Step '{step.Name}' ({step.Kind}) needs at least {min} steps before it; it has {step.Parents.Count}.");
            }
            else if (step.Parents.Count > max)
            {
                problems.Add(max == 0
                    ? $"Step '{step.Name}' ({step.Kind}) reads its own rows and cannot follow another step."
                    : $"Step '{step.Name}' ({step.Kind}) takes one step before it; it has {step.Parents.Count} ({string.Join(", ", step.Parents.Select(p => p.Name))}). Join branches with CombineOutputs or GroupColumns.");
            }
            if (step is TaskNode { Task: { Llm: { } llm } task } && llm.GetService<IOfflineBatchClient>() is not null && task.MakesDependentCalls)
            {
                problems.Add($"Step '{step.Name}' (task) makes several dependent calls per row and cannot be sent as an offline batch; give it an online LLM.");
            }
            if (step is TaskNode { Task: { Llm: { } client } checkedTask })
            {
                // What a task needs of its client (a local model for magpie…) is known before any call.
                try
                {
                    checkedTask.CheckClient(client);
                }
                catch (NotSupportedException error)
                {
                    problems.Add($"Step '{step.Name}' (task): {error.Message}");
                }
            }
            if (step is LoadNode && step.Children.Count == 0)
            {
                problems.Add($"Step '{step.Name}' (load) feeds no step; continue from it with Then(...) or Write(...).");
            }
            if (step is WriteNode && step.Children.Count > 0)
            {
                problems.Add($"Step '{step.Name}' writes a dataset and ends its branch; continue from the step before it instead.");
            }
        }

        foreach (var join in pipeline.Steps.OfType<JoinNode>())
        {
            // A step that needs all its rows (a global step, an offline batch) on one branch only
            // would wait for rows the join, waiting for it, never takes: refuse it here.
            var ancestors = join.Parents.Select(Ancestors).ToList();
            var shared = ancestors.Skip(1).Aggregate(new HashSet<PipelineStep>(ancestors[0]), (all, next) => { all.IntersectWith(next); return all; });
            foreach (var global in ancestors.SelectMany(a => a).Distinct().Where(s => !shared.Contains(s) && NeedsAllRows(s)))
            {
                problems.Add($"Step '{join.Name}' ({join.Kind}) joins a branch through '{global.Name}', which needs all its rows before it gives any; join before it, or put it after the join.");
            }
        }

        var order = TopologicalOrder(pipeline.Steps, problems);
        if (problems.Count > 0) throw Invalid(pipeline, problems);
        return order;
    }

    /// <summary>Checks that every step finds the columns it needs, from the data and the steps before it.</summary>
    /// <exception cref="PipelineException">A column is missing; the message names it, the step and the columns there.</exception>
    /// <returns>Each step's schema (null where unknown).</returns>
    public static IReadOnlyDictionary<PipelineStep, RowSchema?> CheckColumns(Pipeline pipeline, IReadOnlyList<PipelineStep> order)
    {
        var problems = new List<string>();
        var columns = new Dictionary<PipelineStep, RowSchema?>();
        foreach (var step in order)
        {
            var parents = step.Parents.Select(p => columns[p]).ToList();
            foreach (var (parent, available) in step.Parents.Zip(parents))
            {
                if (available is null) continue; // unknown (an empty source): nothing will reach this step anyway
                foreach (var missing in step.RequiredColumns.Where(c => !available.Contains(c)))
                {
                    var there = available.Names.Order(StringComparer.Ordinal).ToList();
                    var suggestion = DidYouMean.Closest(missing, there) is { } close ? $" Did you mean '{close}'?" : "";
                    problems.Add(
                        $"Step '{step.Name}' ({step.Kind}) needs column '{missing}', which neither the data nor a step before it " +
                        $"(through '{parent.Name}') provides. Columns there: {(there.Count == 0 ? "none" : string.Join(", ", there))}.{suggestion}");
                }
            }
            try
            {
                columns[step] = step.SchemaAfter(parents);
            }
            catch (PipelineException conflict)
            {
                problems.Add(conflict.Message);
                columns[step] = null;
            }
        }
        if (problems.Count > 0) throw Invalid(pipeline, problems);
        return columns;
    }

    private static bool NeedsAllRows(PipelineStep step) =>
        step is GlobalNode || step is TaskNode { Task.Llm: { } llm } && llm.GetService<IOfflineBatchClient>() is not null;

    private static HashSet<PipelineStep> Ancestors(PipelineStep step)
    {
        var seen = new HashSet<PipelineStep>();
        var stack = new Stack<PipelineStep>([step]);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            if (!seen.Add(current)) continue;
            foreach (var parent in current.Parents) stack.Push(parent);
        }
        return seen;
    }

    private static List<PipelineStep> TopologicalOrder(IReadOnlyList<PipelineStep> steps, List<string> problems)
    {
        var remaining = steps.ToDictionary(s => s, s => s.Parents.Count);
        var ready = new Queue<PipelineStep>(steps.Where(s => s.Parents.Count == 0));
        var order = new List<PipelineStep>(steps.Count);
        while (ready.Count > 0)
        {
            var step = ready.Dequeue();
            order.Add(step);
            foreach (var child in step.Children)
            {
                if (--remaining[child] == 0) ready.Enqueue(child);
            }
        }
        if (order.Count < steps.Count)
        {
            var cycle = steps.Where(s => !order.Contains(s)).Select(s => s.Name);
            problems.Add($"The steps {string.Join(", ", cycle)} form a cycle (or follow one); a pipeline's rows must flow one way.");
        }
        return order;
    }

    private static PipelineException Invalid(Pipeline pipeline, List<string> problems) =>
        new($"Pipeline '{pipeline.Name}' is not valid:\n- " + string.Join("\n- ", problems));
}

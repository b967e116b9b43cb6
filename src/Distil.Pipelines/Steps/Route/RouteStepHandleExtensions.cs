using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// Routing: send each row of a step to one of several branches by condition, each branch a step to
/// continue from.
/// <code>
/// var (english, other) = questions.Split(RowCondition.Equal("language", "en"));
/// english.Then(grade).Write("english.jsonl");
/// other.Then(translate).Then(grade2).Write("other.jsonl");
/// </code>
/// </summary>
public static class RouteStepHandleExtensions
{
    /// <summary>
    /// A branch of the rows that pass <paramref name="when"/> and that no branch added before it after
    /// this step took (the branches are tried in order, first match wins). End the route with
    /// <see cref="Otherwise"/> so that every row goes to exactly one branch.
    /// </summary>
    /// <exception cref="ArgumentException">This step has an otherwise branch already (it would take rows this branch takes too).</exception>
    public static StepHandle Branch(this StepHandle step, RowCondition when, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(when);
        return step.Then(new RouteBranchStep(name ?? step.Pipeline.NewStepName("branch"), when, Earlier(step)));
    }

    /// <summary>A branch of the rows no branch added before it after this step took (all rows when there is none).</summary>
    /// <exception cref="ArgumentException">This step has an otherwise branch already.</exception>
    public static StepHandle Otherwise(this StepHandle step, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        return step.Then(new RouteBranchStep(name ?? step.Pipeline.NewStepName("otherwise"), null, Earlier(step)));
    }

    /// <summary>
    /// Two branches: the rows that pass <paramref name="when"/>, and all the others. Every row goes
    /// to exactly one of them. The branches are named <c>&lt;name&gt;</c> and <c>&lt;name&gt;_other</c>.
    /// </summary>
    public static (StepHandle Passing, StepHandle Others) Split(this StepHandle step, RowCondition when, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        name ??= step.Pipeline.NewStepName("split");
        var passing = step.Branch(when, name);
        return (passing, step.Otherwise(name + "_other"));
    }

    /// <summary>
    /// Two branches by a function of the row (see <see cref="Split(StepHandle, RowCondition, string?)"/>);
    /// <paramref name="reads"/> lists the columns it reads, for validation.
    /// </summary>
    public static (StepHandle Passing, StepHandle Others) Split(this StepHandle step, Func<JsonObject, bool> when, IReadOnlyList<string>? reads = null, string? name = null) =>
        step.Split(RowCondition.Where(when, reads), name);

    /// <summary>
    /// Branches tried in order, a row going to the first whose condition it passes, and a last
    /// branch <paramref name="otherwise"/> (unless null) for the rest; returns them by name.
    /// <code>
    /// var branches = rows.Route([("english", RowCondition.Equal("language", "en")), ("french", RowCondition.Equal("language", "fr"))], otherwise: "other");
    /// </code>
    /// </summary>
    public static IReadOnlyDictionary<string, StepHandle> Route(this StepHandle step, IReadOnlyList<(string Name, RowCondition When)> branches, string? otherwise = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(branches);
        if (branches.Count == 0 && otherwise is null) throw new ArgumentException("Name at least one branch.", nameof(branches));
        var handles = new Dictionary<string, StepHandle>(StringComparer.Ordinal);
        foreach (var (name, when) in branches) handles[name] = step.Branch(when, name);
        if (otherwise is not null) handles[otherwise] = step.Otherwise(otherwise);
        return handles;
    }

    // The branches already after this step, in the order they were added; an otherwise branch ends them.
    private static IReadOnlyList<RowCondition> Earlier(StepHandle step)
    {
        var branches = step.Step.Children.OfType<RouteBranchStep>().ToList();
        if (branches.FirstOrDefault(b => b.When is null) is { } otherwise)
        {
            throw new ArgumentException($"Step '{step.Name}' has an otherwise branch already ('{otherwise.Name}'), which takes every row the branches before it did not; add branches before it.");
        }
        return [.. branches.Select(b => b.When!)];
    }
}

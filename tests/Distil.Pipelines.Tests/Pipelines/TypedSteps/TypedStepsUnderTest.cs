namespace Distil.Tests.Pipelines.TypedSteps;

// The steps of TypedStepTests, one of each kind, declared as a user would. Each counts its calls
// on the instance (a field, so it is not a setting) to prove what a resumed run does not call.

[Step("normalize")]
public sealed partial class Normalize : Step<Normalize.Input, Normalize.Output>
{
    public int Calls;

    public sealed record Input(string Text);

    public sealed record Output(string Instruction, int Length);

    /// <summary>Added to every instruction: a setting, so a new value recomputes the step.</summary>
    public string Suffix { get; set; } = "";

    public override Output Process(Input input)
    {
        Calls++;
        var text = input.Text.Trim();
        return new Output(text + Suffix, text.Length);
    }
}

[Step("split_words")]
public sealed partial class SplitWords : ManyStep<SplitWords.Input, SplitWords.Output>
{
    public int Calls;

    public sealed record Input(string Text);

    public sealed record Output(string Instruction, int Position);

    public override async ValueTask<IEnumerable<Output>> ProcessAsync(Input input, CancellationToken cancellationToken)
    {
        Calls++;
        await Task.Yield();
        return input.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select((word, i) => new Output(word, i));
    }
}

[Step("longest")]
public sealed partial class Longest : GlobalStep<Longest.Row, Longest.Picked>
{
    public int Calls;

    public sealed record Row(string Text, int Id);

    public sealed record Picked(string Instruction, int Id);

    public int Count { get; set; } = 1;

    public override IEnumerable<Picked> Process(IReadOnlyList<Row> inputs)
    {
        Calls++;
        return inputs.OrderByDescending(r => r.Text.Length).ThenBy(r => r.Id).Take(Count).Select(r => new Picked(r.Text, r.Id));
    }
}

[Step("topics")]
public sealed partial class Topics : GeneratorStep<Topics.Row>
{
    public int Calls;

    public sealed record Row(string Instruction, int Level);

    public int Levels { get; set; } = 2;

    public override IEnumerable<Row> Generate()
    {
        Calls++;
        foreach (var topic in new[] { "sql", "regex" })
        {
            for (var level = 1; level <= Levels; level++) yield return new Row($"{topic} {level}", level);
        }
    }
}

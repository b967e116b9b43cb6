namespace Distil.Tests.Tools;

/// <summary>A task with tools declared as C# methods: the generator writes their schemas and invocations.</summary>
[Task("calculator")]
[UserPrompt("{{ question }}")]
public sealed partial class CalculatorTask : LlmTask<CalculatorTask.Input, CalculatorTask.Output>
{
    public sealed record Input(string Question);

    public sealed record Output(string Answer);

    /// <summary>Every call of <see cref="Add"/>, as "a+b".</summary>
    public List<string> Calls { get; } = [];

    /// <summary>Adds two integers.</summary>
    /// <param name="a">The first addend.</param>
    /// <param name="b">The second addend.</param>
    [Tool]
    public int Add(int a, int b)
    {
        lock (Calls) Calls.Add($"{a}+{b}");
        return a + b;
    }

    /// <summary>Rounds a number to some digits.</summary>
    [Tool(Name = "round")]
    public static async Task<double> RoundAsync(double value, int digits = 0, CancellationToken cancellationToken = default)
    {
        await System.Threading.Tasks.Task.Yield();
        return Math.Round(value, digits);
    }

    // The answer is the model's text as it is.
    private static Output? ParseOutput(string text, Input input) => new(text);
}

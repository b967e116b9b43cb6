using Microsoft.Extensions.AI;

namespace Distil.Tests.Tasks;

/// <summary>A task whose generation is two dependent calls: a draft, then a revision of that draft.</summary>
[Task("chain")]
[UserPrompt("Draft an answer: {{ question }}")]
public sealed partial class ChainTask : LlmTask<ChainTask.Input, ChainTask.Output>
{
    public sealed record Input(string Question);

    public sealed record Output(string Draft, string Revision, int Pick);

    public override bool MakesDependentCalls => true;

    /// <summary>When set, the task refuses every client (as a task needing a capability would).</summary>
    public string? RefuseClientsWith { get; init; }

    protected override void CheckLlm(IChatClient llm)
    {
        if (RefuseClientsWith is not null) throw new NotSupportedException(RefuseClientsWith);
    }

    protected override async Task<Output?> GenerateAsync(Input input, GenerationCalls calls, CancellationToken cancellationToken)
    {
        var draft = await calls.AskAsync(FormatInput(input));
        var revision = await calls.AskAsync([new ChatMessage(ChatRole.User, "Revise: " + draft)], options => options.Temperature = 0.25f);
        return draft is null || revision is null ? null : new Output(draft, revision, calls.CreateRandom(7).Next(1000));
    }
}

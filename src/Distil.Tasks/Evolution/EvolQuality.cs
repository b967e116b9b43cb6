using System.ComponentModel;
using Distil.Tasks.Parsing;
using Microsoft.Extensions.AI;

namespace Distil.Tasks;

/// <summary>
/// Evolves responses into better ones (the quality half of the "Deita" recipe): over
/// <see cref="NumEvolutions"/> rounds, each with a mutation picked at random, the response is made
/// more helpful, more relevant, deeper, more creative or more detailed.
/// </summary>
/// <remarks>
/// Columns: <c>instruction</c>, <c>response</c> → <c>evolved_response</c> (the last round's) and
/// <c>evolved_responses</c> (every round's, with <see cref="StoreEvolutions"/>; null otherwise).
/// Parameters: <see cref="NumEvolutions"/>, <see cref="StoreEvolutions"/>,
/// <see cref="IncludeOriginalResponse"/>, <see cref="Mutations"/>, <see cref="Seed"/>. A round
/// whose answer is empty leaves the generation unparsed. No structured-output mode.
/// </remarks>
[Task("evol_quality")]
public sealed partial class EvolQuality : LlmTask<EvolQuality.Input, EvolQuality.Output>
{
    private readonly int _numEvolutions = 1;
    private readonly Mutations _mutations = new(EvolutionPrompts.Quality, nameof(EvolQuality),
        EvolutionPrompts.PromptPlaceholder, EvolutionPrompts.ResponsePlaceholder);

    /// <summary>The instruction and the response to evolve.</summary>
    public sealed record Input(string Instruction, string Response);

    /// <summary>The evolved response(s).</summary>
    public sealed record Output(
        [property: Description("The response after the last round.")] string? EvolvedResponse,
        [property: Description("The response after every round, in order.")] IReadOnlyList<string>? EvolvedResponses = null);

    /// <summary>How many rounds of evolution each response goes through (default 1).</summary>
    public int NumEvolutions
    {
        get => _numEvolutions;
        init => _numEvolutions = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(NumEvolutions), value, "NumEvolutions must be 1 or more.");
    }

    /// <summary>Keep the response of every round in <c>evolved_responses</c> (default false).</summary>
    public bool StoreEvolutions { get; init; }

    /// <summary>Put the original response first in <c>evolved_responses</c> (default false).</summary>
    public bool IncludeOriginalResponse { get; init; }

    /// <summary>The seed of the mutation choices (default 42). The row and generation are mixed in.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>
    /// The mutations to pick from, by name; each prompt holds <c>&lt;PROMPT&gt;</c> and
    /// <c>&lt;RESPONSE&gt;</c>. Defaults to <see cref="EvolutionPrompts.Quality"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The set is empty, or a prompt lacks a placeholder.</exception>
    public IReadOnlyDictionary<string, string> Mutations
    {
        get => _mutations.Source;
        init => _mutations = new Tasks.Mutations(value, nameof(EvolQuality), EvolutionPrompts.PromptPlaceholder, EvolutionPrompts.ResponsePlaceholder);
    }

    /// <inheritdoc/>
    public override bool MakesDependentCalls => true;

    IReadOnlyList<ChatMessage> FormatMessages(Input input) =>
        [new ChatMessage(ChatRole.User, Tasks.Mutations.Fill(_mutations.First, input.Instruction, input.Response))];

    // As a run of one round: evolved_responses only with StoreEvolutions.
    Output? ParseOutput(string text, Input input) =>
        EvolvedText.Read(text) is { } evolved
            ? new Output(evolved, StoreEvolutions ? IncludeOriginalResponse ? [input.Response, evolved] : [evolved] : null)
            : null;

    /// <inheritdoc/>
    protected override string WhyNoStructuredOutput => "each round answers with a plain response";

    /// <inheritdoc/>
    protected override async Task<Output?> GenerateAsync(Input input, GenerationCalls calls, CancellationToken cancellationToken)
    {
        var rounds = await _mutations.EvolveAsync(calls, calls.CreateRandom(Seed), NumEvolutions, input.Response,
            (mutation, current) => Tasks.Mutations.Fill(mutation, input.Instruction, current)).ConfigureAwait(false);
        if (rounds is null) return null;
        var current = rounds[^1];
        List<string> evolved = IncludeOriginalResponse ? [input.Response, .. rounds] : rounds;
        return new Output(current, StoreEvolutions ? evolved : null);
    }
}

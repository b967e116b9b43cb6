using System.ComponentModel;
using Microsoft.Extensions.AI;

namespace Distil.Tasks;

/// <summary>
/// Makes instructions and answers out of nothing but a model (the "Magpie" method): the model is
/// given the start of a user turn in its own chat template and writes a user's request, then
/// answers it as the assistant; with <see cref="NumTurns"/> above 1 the conversation goes on.
/// </summary>
/// <remarks>
/// Columns: optional <c>system_prompt</c> (it wins over <see cref="SystemPrompt"/>) →
/// <c>instruction</c> (the first user turn), <c>response</c> (the first answer) and
/// <c>conversation</c> (every turn as <c>{role, content}</c>, the system prompt first if any).
/// Parameters: <see cref="NumTurns"/>, <see cref="PreQueryTemplate"/>, <see cref="SystemPrompt"/>,
/// <see cref="OnlyInstruction"/>. It needs a client that renders the chat template itself (a local
/// GGUF model, <c>local:PATH</c>): a remote chat API cannot continue a raw template. The user turn
/// comes from the model, so the prompt <c>Print</c> shows holds only the system prompt.
/// </remarks>
[Task("magpie")]
public sealed partial class Magpie : LlmTask<Magpie.Input, Magpie.Output>
{
    private readonly int _numTurns = 1;
    private readonly string _preQueryTemplate = Llama3;

    // The header that opens a user turn in each family's chat template.
    private const string Llama3 = "<|start_header_id|>user<|end_header_id|>\n\n";
    private const string Qwen2 = "<|im_start|>user\n";

    /// <summary>The row's system prompt, if it has one.</summary>
    public sealed record Input(string? SystemPrompt = null);

    /// <summary>One turn of the conversation.</summary>
    public sealed record Message(string Role, string Content);

    /// <summary>The first instruction and answer, and the whole conversation.</summary>
    public sealed record Output(
        [property: Description("The first user turn the model wrote.")] string? Instruction,
        [property: Description("The assistant's answer to the first user turn.")] string? Response = null,
        [property: Description("Every turn, the system prompt first if any.")] IReadOnlyList<Message>? Conversation = null);

    /// <summary>How many user/assistant exchanges to make (default 1).</summary>
    public int NumTurns
    {
        get => _numTurns;
        init => _numTurns = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(NumTurns), value, "NumTurns must be 1 or more.");
    }

    /// <summary>
    /// The start of a user turn in the model's chat template: <c>llama3</c> (default),
    /// <c>qwen2</c> (also ChatML models, and models without a template of their own), or the
    /// literal text to use.
    /// </summary>
    public string PreQueryTemplate
    {
        get => _preQueryTemplate;
        init => _preQueryTemplate = value switch
        {
            "llama3" => Llama3,
            "qwen2" => Qwen2,
            null or "" => throw new ArgumentException("PreQueryTemplate must be llama3, qwen2 or the text that opens a user turn.", nameof(PreQueryTemplate)),
            _ => value,
        };
    }

    /// <summary>The system prompt of rows that have none (default none).</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>Write only the first instruction, without answering it (default false).</summary>
    public bool OnlyInstruction { get; init; }

    /// <inheritdoc/>
    public override bool MakesDependentCalls => true;

    /// <summary>The client must continue a raw chat-template prefix.</summary>
    protected override void CheckLlm(IChatClient llm)
    {
        if (llm.GetService<ISupportsPreQueryTemplate>() is null)
        {
            throw new NotSupportedException(
                $"Task '{Name}' needs an LLM that continues its own chat template (a local GGUF model, 'local:PATH'); " +
                $"{llm.GetType().Name} answers whole chat turns only.");
        }
    }

    /// <inheritdoc/>
    protected override string WhyNoStructuredOutput => "the model writes free text turns";

    IReadOnlyList<ChatMessage> FormatMessages(Input input) =>
        (input.SystemPrompt ?? SystemPrompt) is { } system ? [new ChatMessage(ChatRole.System, system)] : [];

    static Output? ParseOutput(string text, Input input) =>
        string.IsNullOrWhiteSpace(text) ? null : new Output(text.Trim(), null, [new Message("user", text.Trim())]);

    /// <inheritdoc/>
    protected override async Task<Output?> GenerateAsync(Input input, GenerationCalls calls, CancellationToken cancellationToken)
    {
        var conversation = new List<ChatMessage>(FormatInput(input));
        for (var turn = 0; turn < NumTurns; turn++)
        {
            var instruction = await calls.AskAsync(conversation.ToArray(), options =>
            {
                options.AdditionalProperties ??= [];
                options.AdditionalProperties[ChatOptionsKeys.PreQueryTemplate] = _preQueryTemplate;
                // Rows with the same system prompt send the same request: the row makes each its own
                // (a response cache would otherwise give every row the first row's instruction).
                options.AdditionalProperties[ChatOptionsKeys.Row] = calls.RowIndex;
            }).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(instruction)) return null;
            conversation.Add(new ChatMessage(ChatRole.User, instruction.Trim()));
            if (OnlyInstruction) break;

            var response = await calls.AskAsync(conversation.ToArray()).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(response)) return null;
            conversation.Add(new ChatMessage(ChatRole.Assistant, response.Trim()));
        }

        var turns = conversation.Select(m => new Message(m.Role.Value, m.Text)).ToList();
        return new Output(
            turns.First(t => t.Role == "user").Content,
            turns.FirstOrDefault(t => t.Role == "assistant")?.Content,
            turns);
    }
}

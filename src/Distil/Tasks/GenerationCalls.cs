using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>
/// The LLM calls that make one generation of one row, handed to
/// <see cref="LlmTask{TInput,TOutput}.GenerateAsync"/>. Each call is sent with the task's options for
/// this generation (online it waits for one of the task's <see cref="LlmTask.MaxConcurrency"/>
/// slots; in an offline batch it is recorded, then answered from the batch) and adds its token
/// usage to the generation's statistics.
/// </summary>
/// <remarks>
/// A call whose LLM request fails throws, and the run turns that into a failed generation (outputs
/// null, the error in the metadata) as it does for a single-call task; an exception from the
/// task's own code ends the run, as a bad input row does.
/// </remarks>
public sealed class GenerationCalls
{
    private readonly CallStrategy _strategy;
    private readonly ChatOptions _options;
    private readonly string _rowKey;
    private readonly ToolLoop? _tools;
    private readonly string _step;
    private readonly CancellationToken _cancellationToken;
    // The requests sent so far, and their hashes once a later call needed them (see Repeats).
    private List<(IReadOnlyList<ChatMessage> Messages, ChatOptions Options, string? Hash)>? _sent;
    private long _inputTokens;
    private long _outputTokens;
    private bool _hasUsage;

    /// <summary>The calls of one generation of one row, each sent by <paramref name="strategy"/>.</summary>
    internal GenerationCalls(
        CallStrategy strategy, ChatOptions options, string rowKey, long rowIndex, int generation, CancellationToken cancellationToken,
        ToolLoop? tools = null, string step = "")
    {
        _strategy = strategy;
        _tools = tools;
        _step = step;
        _options = options;
        _rowKey = rowKey;
        _cancellationToken = cancellationToken;
        RowIndex = rowIndex;
        Generation = generation;
    }

    /// <summary>The 0-based index of the input row in the run.</summary>
    public long RowIndex { get; }

    /// <summary>The 0-based generation of the row (below <see cref="LlmTask.NumGenerations"/>).</summary>
    public int Generation { get; }

    /// <summary>How many calls were answered so far.</summary>
    public int Count { get; private set; }

    /// <summary>The messages of the last call, kept as the generation's raw input.</summary>
    internal IReadOnlyList<ChatMessage>? LastMessages { get; private set; }

    /// <summary>The answer of the last call, kept as the generation's raw output.</summary>
    internal string? LastText { get; private set; }

    /// <summary>The model that answered the last call, as it reported it.</summary>
    internal string? ModelId { get; private set; }

    /// <summary>Why the last answer ended, as the service said (<see cref="ChatFinishReason.Length"/>: it hit the token limit).</summary>
    internal ChatFinishReason? LastFinishReason { get; private set; }

    /// <summary>
    /// The tool trajectory of the last conversation (its prompt, each assistant turn, each tool
    /// result); null when the task has no tools.
    /// </summary>
    internal IReadOnlyList<ToolTrajectoryEntry>? Trajectory { get; private set; }

    /// <summary>True when the last conversation ended with the model still asking for tools after <see cref="ToolOptions.MaxToolRounds"/> rounds.</summary>
    internal bool ToolRoundsExhausted { get; private set; }

    /// <summary>The token usage of every call together; null when no answer reported any.</summary>
    internal UsageDetails? Usage => _hasUsage
        ? new UsageDetails { InputTokenCount = _inputTokens, OutputTokenCount = _outputTokens }
        : null;

    /// <summary>
    /// Asks the LLM with the task's options and returns the answer's text. For a task with
    /// <see cref="LlmTask.Tools"/>, the ask is a conversation: the tools the model calls are run and
    /// their results sent back until it answers without a call (see <see cref="ToolOptions"/>).
    /// </summary>
    /// <exception cref="LlmCallException">The request failed (after the client's own retries).</exception>
    public Task<string?> AskAsync(IReadOnlyList<ChatMessage> messages) => AskAsync(messages, configure: null);

    /// <summary>
    /// Asks the LLM with a copy of the task's options that <paramref name="configure"/> changes
    /// (a per-row response format, stop sequences for one turn…), and returns the answer's text.
    /// </summary>
    /// <exception cref="LlmCallException">The request failed (after the client's own retries).</exception>
    public async Task<string?> AskAsync(IReadOnlyList<ChatMessage> messages, Action<ChatOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var options = _options;
        if (configure is not null)
        {
            options = _options.Clone();
            options.AdditionalProperties = _options.AdditionalProperties?.Clone();
            configure(options);
        }

        if (_tools is not null) return await AskWithToolsAsync(messages, options).ConfigureAwait(false);
        var (response, _) = await SendAsync(messages, options).ConfigureAwait(false);
        return response.Text;
    }

    // One request of the generation: sent through the strategy, its answer and usage noted.
    private async Task<(ChatResponse Response, int Repeat)> SendAsync(IReadOnlyList<ChatMessage> messages, ChatOptions options)
    {
        LastMessages = messages;
        var request = new CallRequest(_rowKey, RowIndex, Generation, Count, messages, options) { Repeat = Repeats(messages, options) };
        var response = await _strategy.SendAsync(request, _cancellationToken).ConfigureAwait(false);

        Count++;
        LastText = response.Text;
        LastFinishReason = response.FinishReason;
        ModelId = response.ModelId ?? ModelId;
        if (response.Usage is { } usage)
        {
            _hasUsage = true;
            _inputTokens += usage.InputTokenCount ?? 0;
            _outputTokens += usage.OutputTokenCount ?? 0;
        }
        return (response, request.Repeat);
    }

    // Rule: with tools, one ask is a conversation: each assistant turn that asks for tools gets
    // their results (or errors) back, up to MaxToolRounds rounds; the answer is the first turn
    // without a call. Each turn is a request of its own, so the run's answers keep each one.
    private async Task<string?> AskWithToolsAsync(IReadOnlyList<ChatMessage> messages, ChatOptions options)
    {
        var tools = _tools!;
        var startedAt = Count;
        var conversation = new List<ChatMessage>(messages);
        var trajectory = new List<ToolTrajectoryEntry>(ToolTrajectory.Of(messages));
        var repeat = 0;
        for (var round = 0; ; round++)
        {
            var (response, sentRepeat) = await SendAsync(conversation.ToArray(), options).ConfigureAwait(false);
            if (round == 0) repeat = sentRepeat;
            var requested = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
            var text = string.IsNullOrEmpty(response.Text) ? null : response.Text;
            trajectory.AddRange(ToolTrajectory.AssistantTurn(text, requested));
            if (requested.Count == 0 || round == tools.MaxRounds)
            {
                Trajectory = trajectory;
                ToolRoundsExhausted = requested.Count > 0;
                return response.Text;
            }
            var place = new ToolCallPlace(_step, _rowKey, Generation, startedAt, repeat, round);
            var outcomes = await tools.RunAsync(requested, place, _cancellationToken).ConfigureAwait(false);
            conversation.Add(ToolTrajectory.AssistantMessage(text, requested));
            conversation.Add(ToolTrajectory.ResultsMessage(requested, outcomes));
            trajectory.AddRange(ToolTrajectory.Results(requested, outcomes));
        }
    }

    // How many earlier calls of this generation sent the very same request. Most generations make
    // one call, which hashes nothing; a later call hashes itself and the calls before it once.
    private int Repeats(IReadOnlyList<ChatMessage> messages, ChatOptions options)
    {
        lock (this)
        {
            _sent ??= [];
            _sent.Add((messages, options, null));
            if (_sent.Count == 1) return 0;
            var hash = HashOf(_sent.Count - 1);
            var repeats = 0;
            for (var i = 0; i < _sent.Count - 1; i++)
            {
                if (HashOf(i) == hash) repeats++;
            }
            return repeats;
        }
    }

    private string HashOf(int call)
    {
        var (messages, options, hash) = _sent![call];
        if (hash is not null) return hash;
        hash = AIJsonUtilities.HashDataToString([messages, options], AIJsonUtilities.DefaultOptions);
        _sent[call] = (messages, options, hash);
        return hash;
    }

    /// <summary>
    /// A random source that depends only on <paramref name="seed"/>, the row and the generation:
    /// the same choices on every run and every machine, whatever order rows finish in, so a
    /// resumed run makes the choices an uninterrupted one would have.
    /// </summary>
    public Random CreateRandom(int seed)
    {
        // SplitMix64 over (seed, row, generation): neighbouring rows get unrelated streams.
        var state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)RowIndex * 0xBF58476D1CE4E5B9UL ^ (ulong)Generation * 0x94D049BB133111EBUL);
        state = unchecked((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9UL);
        state = unchecked((state ^ (state >> 27)) * 0x94D049BB133111EBUL);
        state ^= state >> 31;
        // System.Random with a seed uses one fixed algorithm on every .NET version and platform.
        return new Random(unchecked((int)state));
    }
}

/// <summary>An LLM request made through <see cref="GenerationCalls"/> failed; the cause is the inner exception.</summary>
public sealed class LlmCallException : Exception
{
    /// <summary>Wraps the failure of one LLM request.</summary>
    public LlmCallException(Exception inner)
        : base($"The LLM call failed: {inner?.Message}", inner)
    {
    }
}

/// <summary>
/// Why a row was not asked: the task could not read its input because an earlier step failed on
/// the row (a null where that step's answer should be). Kept as the row's <c>error_&lt;task&gt;</c>,
/// so the row counts as failed and a rerun asks it again.
/// </summary>
public sealed class EarlierStepFailedException(string message) : Exception(message);

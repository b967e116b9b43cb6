using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mapping;
using Distil.Printing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Distil;

/// <summary>
/// The base of every Distil task: a prompt built from <typeparamref name="TInput"/>, an answer
/// parsed into <typeparamref name="TOutput"/>. Declare a <c>partial</c> class with
/// <see cref="TaskAttribute"/> and the generator implements the abstract members.
/// </summary>
/// <typeparam name="TInput">The record read from each input row.</typeparam>
/// <typeparam name="TOutput">The record parsed from each answer.</typeparam>
/// <example>
/// <code>
/// var task = new Summary { Llm = chatClient, NumGenerations = 2 };
/// await foreach (var row in task.ProcessAsync(rows)) Console.WriteLine(row.ToJsonString());
/// </code>
/// </example>
public abstract class Task<TInput, TOutput> : LlmTask
    where TInput : class
    where TOutput : class
{
    private JsonElement? _schemaElement;

    /// <summary>Renders the prompt of one input: the system message, if any, then the user message.</summary>
    public abstract IReadOnlyList<ChatMessage> FormatInput(TInput input);

    /// <summary>
    /// Renders the prompt with Scriban at run time instead of the compiled template. Slower; the
    /// reference that the compiled rendering is tested against.
    /// </summary>
    public abstract IReadOnlyList<ChatMessage> FormatInputWithScriban(TInput input);

    /// <summary>
    /// Parses an answer into the output record: the task's own <c>ParseOutput</c> when it has one,
    /// else lenient JSON. Returns null when the answer is null or cannot be parsed; never throws.
    /// </summary>
    public abstract TOutput? FormatOutput(string? text, TInput input);

    /// <summary>Reads the input record from a row's columns.</summary>
    /// <exception cref="RowValueException">A column is missing or holds a value of the wrong type.</exception>
    public abstract TInput ReadInput(JsonObject row);

    /// <summary>Writes the output columns into <paramref name="row"/>; all null when <paramref name="output"/> is null.</summary>
    public abstract void WriteOutput(TOutput? output, JsonObject row);

    /// <summary>
    /// Reads the input record of a row for a run. Default: <see cref="ReadInput"/>. Override it when
    /// what a row holds depends on the task's settings (columns named by a user template).
    /// </summary>
    /// <exception cref="RowValueException">A column is missing or holds a value of the wrong type.</exception>
    protected virtual TInput ReadRowInput(JsonObject row) => ReadInput(row);

    /// <summary>
    /// Checks what the record's types cannot say about an input (a list of exactly two items, a
    /// column the task's mode needs); throw a <see cref="RowValueException"/> naming the column
    /// and what was expected. The run adds the task's name and the row's index. Default: nothing.
    /// </summary>
    protected virtual void CheckInput(TInput input)
    {
    }

    /// <summary>An input whose text columns read <c>&lt;PLACEHOLDER_COLUMN&gt;</c>, for <c>Print</c>.</summary>
    protected abstract TInput CreateSampleInput();

    /// <summary>
    /// The input <see cref="Print"/> shows when given none: text columns read
    /// <c>&lt;PLACEHOLDER_COLUMN&gt;</c>, other values placeholders of their type.
    /// </summary>
    public TInput PlaceholderInput() => CreateSampleInput();

    /// <summary>
    /// Draws the prompt of <paramref name="sample"/> (default: a placeholder input) in the terminal,
    /// one panel per message.
    /// </summary>
    public void Print(TInput? sample = null) => PrintTo(AnsiConsole.Console, sample);

    /// <inheritdoc/>
    public override IReadOnlyList<ChatMessage> FormatRow(JsonObject row) => FormatInput(ReadRow(row, -1));

    /// <inheritdoc/>
    public override JsonObject ParseRow(string? text, JsonObject row)
    {
        var columns = new JsonObject();
        WriteOutput(FormatOutput(text, ReadRow(row, -1)), columns);
        return columns;
    }

    /// <inheritdoc/>
    public override void PrintRow(IAnsiConsole console, JsonObject? row = null)
    {
        ArgumentNullException.ThrowIfNull(console);
        PromptPrinter.Print(console, GetType().Name, row is null ? FormatInput(CreateSampleInput()) : FormatRow(row));
    }

    internal override async Task<IReadOnlyList<OfflineBatchRequest>> BatchRequestsAsync(
        JsonObject row, long rowIndex, string customIdPrefix, CancellationToken cancellationToken)
    {
        var input = ReadRow(row, rowIndex);
        var run = new Run(this, Llm!, new SemaphoreSlim(1));
        var requests = new List<OfflineBatchRequest>(NumGenerations);
        for (var generation = 0; generation < NumGenerations; generation++)
        {
            // GenerateAsync runs up to its first call, which is recorded instead of sent: the batch
            // request is exactly what an online run would send, per-row options included.
            var customId = BatchCustomId(customIdPrefix, generation);
            OfflineBatchRequest? recorded = null;
            var calls = new GenerationCalls(run.OptionsFor(generation), rowIndex, generation, (messages, options, _) =>
            {
                recorded = new OfflineBatchRequest(customId, messages, options);
                throw new RecordedException();
            }, cancellationToken);
            try
            {
                await GenerateAsync(input, calls, cancellationToken).ConfigureAwait(false);
            }
            catch (RecordedException)
            {
            }
            if (recorded is not null) requests.Add(recorded);
        }
        return requests;
    }

    internal override async Task<IReadOnlyList<JsonObject>> BatchRowsAsync(
        JsonObject row, long rowIndex, string customIdPrefix, IReadOnlyDictionary<string, OfflineBatchResult> answers, CancellationToken cancellationToken)
    {
        var input = ReadRow(row, rowIndex);
        var llm = Llm!;
        var run = new Run(this, llm, new SemaphoreSlim(1));
        var generations = new Generation<TOutput>[NumGenerations];
        for (var generation = 0; generation < generations.Length; generation++)
        {
            var answered = answers.TryGetValue(BatchCustomId(customIdPrefix, generation), out var answer) ? answer : null;
            var replays = 0;
            // GenerateAsync runs again, its call answered from the batch: parsing is the task's own.
            var calls = new GenerationCalls(run.OptionsFor(generation), rowIndex, generation, (_, _, _) =>
            {
                if (replays++ > 0) throw new InvalidOperationException($"Task '{Name}' made a second call for one generation; it cannot run as an offline batch.");
                if (answered is not { Succeeded: true }) throw new LlmCallException(new OfflineBatchException(answered?.Error ?? "no answer in the batch results"));
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answered.Text))
                {
                    ModelId = answered.ModelId,
                    Usage = new UsageDetails { InputTokenCount = answered.InputTokens, OutputTokenCount = answered.OutputTokens },
                });
            }, cancellationToken);
            try
            {
                var output = await GenerateAsync(input, calls, cancellationToken).ConfigureAwait(false);
                generations[generation] = new Generation<TOutput>(calls.LastText, output, calls.Usage, calls.ModelId, calls.LastMessages ?? [], null);
                Activity.CallAnswered(calls.Usage);
                if (output is null)
                {
                    Logger.LogWarning("Task '{Task}': the batch answer for row {Row}, generation {Generation} could not be parsed; its outputs are set to null.", Name, rowIndex, generation);
                }
            }
            catch (LlmCallException failure)
            {
                generations[generation] = Generation<TOutput>.FromFailure(failure.InnerException!, calls.LastMessages);
                Activity.Failed();
            }
        }
        var modelName = run.ModelName(generations);
        return GroupGenerations ? [run.Rows.Grouped(row, generations, modelName)] : run.Rows.OnePerGeneration(row, generations, modelName);
    }

    /// <summary>Stops a generation at its first call, once the call is recorded.</summary>
    private sealed class RecordedException : Exception;

    internal override void CheckClient(IChatClient llm) => CheckRunnable(llm);

    // The index a pipeline gave the row, if any; the column goes, so output rows do not carry it.
    private static long? TakeRowIndex(JsonObject row) =>
        row.Remove(RowIndexColumn, out var value) && value is JsonValue index && index.TryGetValue<long>(out var number) ? number : null;

    internal override string DescribePrompt()
    {
        try
        {
            return string.Join("\n", FormatInput(CreateSampleInput()).Select(m => $"[{m.Role}] {m.Text}"));
        }
        catch (Exception error)
        {
            // A prompt that cannot render a placeholder (a check in FormatMessages) is still identified by the task's code.
            return "unrenderable: " + error.GetType().Name;
        }
    }

    /// <summary>Draws the prompt of <paramref name="sample"/> on <paramref name="console"/>.</summary>
    public void PrintTo(IAnsiConsole console, TInput? sample = null)
    {
        ArgumentNullException.ThrowIfNull(console);
        PromptPrinter.Print(console, GetType().Name, FormatInput(sample ?? CreateSampleInput()));
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<JsonObject> ProcessAsync(
        IAsyncEnumerable<JsonObject> rows, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var llm = Llm ?? throw new InvalidOperationException(
            $"Task '{Name}' has no LLM. Set its Llm property to an IChatClient before processing rows.");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var slots = new SemaphoreSlim(MaxConcurrency, MaxConcurrency);
        if (llm.GetService<IOfflineBatchClient>() is not null)
        {
            throw new InvalidOperationException(
                $"Task '{Name}' has an LLM that sends offline batches; batches need all rows at once, so run the task in a pipeline (Pipeline.Create(...).Load(...).Then(task)).");
        }
        CheckRunnable(llm);
        var run = new Run(this, llm, slots);

        // Rows start ahead of the slowest one, so that one slow answer does not keep the LLM idle;
        // they are yielded in input order, each as soon as it and the rows before it are done.
        // The window bounds how far ahead rows may run.
        var window = Math.Max(16, 4 * MaxConcurrency);
        var pending = new Queue<Task<IReadOnlyList<JsonObject>>>();
        var source = rows.GetAsyncEnumerator(stop.Token);
        Task<bool>? next = null;
        try
        {
            next = source.MoveNextAsync().AsTask();
            long index = 0;
            while (next is not null || pending.Count > 0)
            {
                if (pending.Count > 0 && (pending.Peek().IsCompleted || pending.Count >= window || next is null))
                {
                    foreach (var output in await pending.Dequeue().ConfigureAwait(false)) yield return output;
                    continue;
                }

                // Wait for the next input row or the oldest row in flight, whichever comes first.
                if (pending.Count > 0)
                {
                    await System.Threading.Tasks.Task.WhenAny(next!, pending.Peek()).ConfigureAwait(false);
                    if (!next!.IsCompleted) continue;
                }
                if (!await next!.ConfigureAwait(false))
                {
                    next = null;
                    continue;
                }
                var row = source.Current;
                var rowIndex = TakeRowIndex(row) ?? index;
                index++;
                run.Summary.RowRead();
                // A row that failed (bad input) ends the run once the rows before it are out:
                // start no more LLM calls for the rows after it.
                next = pending.Any(p => p.IsFaulted) ? null : source.MoveNextAsync().AsTask();
                pending.Enqueue(ProcessRowAsync(run, row, rowIndex, stop.Token));
            }
            // Reached only when every row is out: a run that ended early reports its error instead.
            run.Summary.Log(Logger, Name);
        }
        finally
        {
            // The run ended early (an error, cancellation, or a consumer that stopped reading):
            // stop the work still in flight before its slots go away.
            stop.Cancel();
            foreach (var abandoned in pending)
            {
                try { await abandoned.ConfigureAwait(false); }
                catch (Exception) { /* ended with the run; the error that ended it is the one reported */ }
            }
            if (next is not null)
            {
                try { await next.ConfigureAwait(false); }
                catch (Exception) { /* the source was cancelled with the run */ }
            }
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Makes one generation of <paramref name="input"/>: by default one call with
    /// <see cref="FormatInput"/>, its answer read by <see cref="FormatOutput"/>. Override it for a
    /// task whose answer takes several dependent calls (evolving an instruction over rounds, a
    /// conversation turn by turn) or per-row request options; such tasks should also override
    /// <see cref="LlmTask.MakesDependentCalls"/> when they do. Return null when the answer cannot
    /// be read: the output columns are then null and the last raw answer is kept.
    /// </summary>
    /// <param name="input">The row's input record, already checked.</param>
    /// <param name="calls">Sends the generation's requests; the last one's prompt and answer become the raw input and output.</param>
    /// <param name="cancellationToken">Cancelled when the run stops.</param>
    protected virtual async Task<TOutput?> GenerateAsync(TInput input, GenerationCalls calls, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var text = await calls.AskAsync(FormatInput(input)).ConfigureAwait(false);
        return FormatOutput(text, input);
    }

    /// <summary>
    /// Checks, before the first row, that the task can run against <paramref name="llm"/> (a task
    /// that needs a capability only some clients have). Throw <see cref="NotSupportedException"/>
    /// saying what is missing. Default: nothing.
    /// </summary>
    protected virtual void CheckLlm(IChatClient llm)
    {
    }

    /// <summary>
    /// Why the task has no structured-output mode (its answers are free text over several calls, or
    /// the row gives the schema), or null when it has one (default). When set, a run with
    /// <see cref="LlmTask.UseDefaultStructuredOutput"/> is refused before the first row.
    /// </summary>
    protected virtual string? WhyNoStructuredOutput => null;

    // Everything a run checks of the task's settings and client before the first row.
    private void CheckRunnable(IChatClient llm)
    {
        if (UseDefaultStructuredOutput && WhyNoStructuredOutput is { } reason)
        {
            throw new NotSupportedException($"Task '{Name}' has no structured-output mode: {reason}. Leave UseDefaultStructuredOutput off.");
        }
        CheckLlm(llm);
    }

    private async Task<IReadOnlyList<JsonObject>> ProcessRowAsync(
        Run run, JsonObject row, long rowIndex, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        var input = ReadRow(row, rowIndex);

        // Each generation is its own request (or requests); they wait for LLM slots like any other.
        var requests = new Task<Generation<TOutput>>[NumGenerations];
        for (var i = 0; i < requests.Length; i++)
        {
            requests[i] = GenerateOneAsync(run, input, rowIndex, i, cancellationToken);
        }
        var generations = await System.Threading.Tasks.Task.WhenAll(requests).ConfigureAwait(false);

        var modelName = run.ModelName(generations);
        return GroupGenerations
            ? [run.Rows.Grouped(row, generations, modelName)]
            : run.Rows.OnePerGeneration(row, generations, modelName);
    }

    private TInput ReadRow(JsonObject row, long rowIndex)
    {
        try
        {
            var input = ReadRowInput(row);
            CheckInput(input);
            return input;
        }
        catch (RowValueException error)
        {
            throw new RowValueException(
                $"Task '{Name}' cannot read {(rowIndex >= 0 ? $"input row {rowIndex}" : "the row")}: {error.Message}. " +
                $"The task reads the columns {string.Join(", ", Inputs)}.", error);
        }
    }

    private async Task<Generation<TOutput>> GenerateOneAsync(
        Run run, TInput input, long rowIndex, int generation, CancellationToken cancellationToken)
    {
        var calls = new GenerationCalls(run.Llm, run.Slots, run.OptionsFor(generation), rowIndex, generation, Activity, cancellationToken);
        TOutput? output;
        try
        {
            output = await GenerateAsync(input, calls, cancellationToken).ConfigureAwait(false);
        }
        catch (LlmCallException failure) when (!cancellationToken.IsCancellationRequested)
        {
            // A failed call does not fail the run: the outputs of this generation are imputed as null.
            var error = failure.InnerException!;
            Logger.LogWarning(error,
                "Task '{Task}': the LLM call for row {Row}, generation {Generation} failed ({Error}); its outputs are set to null.",
                Name, rowIndex, generation, error.GetType().Name);
            run.Summary.Failed(error);
            Activity.Failed();
            return Generation<TOutput>.FromFailure(error, calls.LastMessages);
        }

        run.Summary.Answered(calls.Usage, parsed: output is not null);
        if (output is null)
        {
            Logger.LogWarning(
                "Task '{Task}': the answer for row {Row}, generation {Generation} could not be parsed; its outputs are set to null and the raw answer is kept in '{MetadataColumn}'.",
                Name, rowIndex, generation, MetadataColumn);
        }
        return new Generation<TOutput>(calls.LastText, output, calls.Usage, calls.ModelId, calls.LastMessages ?? [], null);
    }

    /// <summary>What stays the same for every request of one run.</summary>
    private sealed class Run
    {
        private readonly string? _configuredModel;

        public Run(Task<TInput, TOutput> task, IChatClient llm, SemaphoreSlim slots)
        {
            Llm = llm;
            Slots = slots;
            Rows = new OutputRows<TOutput>(task.Name, task.MetadataColumn, task.AddRawOutput, task.AddRawInput, task.WriteOutput);
            _configuredModel = llm.GetService<ChatClientMetadata>()?.DefaultModelId;
            Options = task.GenerationOptions?.Clone() ?? new ChatOptions();
            if (task.UseDefaultStructuredOutput)
            {
                task._schemaElement ??= JsonDocument.Parse(task.StructuredOutputSchema).RootElement.Clone();
                Options.ResponseFormat = ChatResponseFormat.ForJsonSchema(
                    task._schemaElement.Value, schemaName: SchemaName(task.Name), schemaDescription: null);
                Options.AdditionalProperties = Options.AdditionalProperties?.Clone() ?? [];
                Options.AdditionalProperties[ChatOptionsKeys.StrictJsonSchema] = true;
                Options.AdditionalProperties[ChatOptionsKeys.Grammar] = task.StructuredOutputGrammar;
            }
        }

        public IChatClient Llm { get; }

        // OpenAI accepts schema names of letters, digits, '_' and '-', at most 64 long; task
        // names are free text, so the others become '_'.
        private static string SchemaName(string taskName)
        {
            var name = new string(taskName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_').ToArray());
            return name.Length <= 64 ? name : name[..64];
        }

        /// <summary>One per request that may wait on the LLM at once (MaxConcurrency).</summary>
        public SemaphoreSlim Slots { get; }

        /// <summary>What the run did, logged when it ends.</summary>
        public RunSummary Summary { get; } = new();

        /// <summary>Builds the output rows with the settings the run started with.</summary>
        public OutputRows<TOutput> Rows { get; }

        public ChatOptions Options { get; }

        // Generations of one prompt must differ: with a fixed seed, each gets a seed of its own, and
        // each carries its index so that a response cache tells them apart. The first carries
        // none, so raising NumGenerations keeps the answers already cached.
        public ChatOptions OptionsFor(int generation)
        {
            if (generation == 0) return Options;
            var options = Options.Clone();
            if (Options.Seed is { } seed) options.Seed = unchecked(seed + generation);
            options.AdditionalProperties = Options.AdditionalProperties?.Clone() ?? [];
            options.AdditionalProperties[ChatOptionsKeys.Generation] = generation;
            return options;
        }

        // The model asked for, else the one the client says it serves, else the one named by the first answer.
        public string? ModelName(IEnumerable<Generation<TOutput>> generations) =>
            Options.ModelId ?? _configuredModel ?? generations.Select(g => g.ModelId).FirstOrDefault(id => id is not null);
    }
}

using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Distil.Pipelines;
using Microsoft.Extensions.Logging;

namespace Distil;

// The run: one path from an input row to its output rows, whatever sends the calls. ProcessAsync
// and the pipeline's task step (online or through offline batches) all go through TaskRun.
public abstract partial class LlmTask<TInput, TOutput>
{
    /// <inheritdoc/>
    public override async IAsyncEnumerable<JsonObject> ProcessAsync(
        IAsyncEnumerable<JsonObject> rows, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var (run, metrics) = StartOnlineRun("processing rows");
        using (metrics)
        {
            var window = OrderedWindow.RunAsync(rows, OrderedWindow.CapacityFor(MaxConcurrency), MaxConcurrency,
                (row, index, token) => run.RunRowAsync(row, Key(index), index, token),
                cancellationToken);
            await foreach (var outputs in window.ConfigureAwait(false))
            {
                foreach (var output in outputs) yield return output;
            }
            // Reached only when every row is out: a run that ended early reports its error instead.
            run.LogSummary();
        }
    }

    /// <summary>
    /// Runs the task over typed inputs and yields one <see cref="TaskResult{TInput,TOutput}"/> per
    /// input, in input order, each as soon as it and the inputs before it are done. Same semantics
    /// as <see cref="LlmTask.ProcessAsync(IAsyncEnumerable{JsonObject}, CancellationToken)"/>: up to
    /// <see cref="LlmTask.MaxConcurrency"/> calls at once, the LLM's resilience, a failed call or an
    /// unreadable answer gives a null output (see <see cref="Generation{TOutput}.Error"/> and
    /// <see cref="Generation{TOutput}.Rejection"/>) rather than stopping the run.
    /// </summary>
    /// <example>
    /// <code>
    /// await foreach (var result in task.RunAsync([new Input("Dune"), new Input("Emma")]))
    ///     Console.WriteLine($"{result.Input.Title}: {result.Output?.Summary ?? "(no answer)"}");
    /// </code>
    /// </example>
    /// <exception cref="InvalidOperationException">The task has no <see cref="LlmTask.Llm"/>, or its LLM sends offline batches.</exception>
    /// <exception cref="RowValueException">An input breaks the task's <c>CheckInput</c>.</exception>
    public async IAsyncEnumerable<TaskResult<TInput, TOutput>> RunAsync(
        IAsyncEnumerable<TInput> inputs, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var (run, metrics) = StartOnlineRun("running");
        using (metrics)
        {
            var window = OrderedWindow.RunAsync(inputs, OrderedWindow.CapacityFor(MaxConcurrency), MaxConcurrency,
                async (input, index, token) => new TaskResult<TInput, TOutput>(
                    input, index, await run.RunInputAsync(CheckedInput(input, index), Key(index), index, token).ConfigureAwait(false)),
                cancellationToken);
            await foreach (var result in window.ConfigureAwait(false)) yield return result;
            run.LogSummary();
        }
    }

    /// <inheritdoc cref="RunAsync(IAsyncEnumerable{TInput}, CancellationToken)"/>
    public IAsyncEnumerable<TaskResult<TInput, TOutput>> RunAsync(IEnumerable<TInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return RunAsync(AsyncRows.From(inputs, cancellationToken), cancellationToken);
    }

    private static string Key(long index) => index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // One online run for ProcessAsync or RunAsync: the LLM checked, the calls gated, the metrics counted.
    private (TaskRun Run, RunMetrics Metrics) StartOnlineRun(string what)
    {
        var llm = Llm ?? throw new InvalidOperationException(
            $"Task '{Name}' has no LLM. Set its Llm property to an IChatClient before {what}.");
        if (llm.GetService<IOfflineBatchClient>() is not null)
        {
            throw new InvalidOperationException(
                $"Task '{Name}' has an LLM that sends offline batches; batches need all rows at once, so run the task in a pipeline (Pipeline.Create(...).Load(...).Then(task)).");
        }
        CheckRunnable(llm);
        var metrics = new RunMetrics();
        return (new TaskRun(this, llm, new OnlineCalls(llm, MaxConcurrency, metrics, Name), metrics, Name), metrics);
    }

    private TInput CheckedInput(TInput input, long index)
    {
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            CheckInput(input);
            return input;
        }
        catch (RowValueException error)
        {
            throw new RowValueException(ErrorText.Sentence($"Task '{Name}' cannot take input {index}: {error.Message}"), error);
        }
    }

    internal override ITaskRun CreateRun(IChatClient llm, CallStrategy calls, RunMetrics metrics, string step) =>
        new TaskRun(this, llm, calls, metrics, step);

    internal override void CheckClient(IChatClient llm) => CheckRunnable(llm);

    // Everything a run checks of the task's settings and client before the first row.
    private void CheckRunnable(IChatClient llm)
    {
        if (UseDefaultStructuredOutput && WhyNoStructuredOutput is { } reason)
        {
            throw new NotSupportedException($"Task '{Name}' has no structured-output mode: {reason}. Leave UseDefaultStructuredOutput off.");
        }
        CheckLlm(llm);
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
                $"Task '{Name}' cannot read {(rowIndex >= 0 ? $"input row {rowIndex}" : "the row")}: {ErrorText.Sentence(error.Message)} " +
                $"The task reads the columns {string.Join(", ", Inputs)}.", error);
        }
    }

    /// <summary>
    /// One run of the task: the settings it started with, and the one method that turns an input
    /// row into its output rows. How its calls are sent is the strategy it was given.
    /// </summary>
    private sealed class TaskRun : ITaskRun
    {
        private readonly LlmTask<TInput, TOutput> _task;
        private readonly CallStrategy _calls;
        private readonly RunMetrics _metrics;
        private readonly string _step;
        private readonly string? _configuredModel;
        private readonly ChatOptions _options;
        private readonly OutputRows<TOutput> _rows;
        // Recording for a batch: answers are placeholders, so nothing is counted, logged or kept.
        private readonly bool _recording;
        private string? _firstFailure;
        private readonly int _reasks;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ChatOptions> _rowOptions = new(StringComparer.Ordinal);
        // The task's tools, run for its model; null for a task without tools.
        private readonly ToolLoop? _tools;

        public TaskRun(LlmTask<TInput, TOutput> task, IChatClient llm, CallStrategy calls, RunMetrics metrics, string step)
        {
            _task = task;
            _calls = calls;
            _metrics = metrics;
            _step = step;
            _recording = calls is RecordedCalls;
            _rows = new OutputRows<TOutput>(task.Name, task.MetadataColumn, task.AddRawOutput, task.AddRawInput, task.Reasks > 0, task.WriteOutput)
            {
                TrajectoryColumn = task.HasTools ? task.TrajectoryColumn : null,
            };
            // Re-asking sends a further call after an answer: only for one-call generations, and as
            // far as the strategy sends (online at once; offline, one batch round per re-ask).
            _reasks = task.MakesDependentCalls ? 0 : calls.ReaskLimit(task.Reasks);
            _configuredModel = llm.GetService<ChatClientMetadata>()?.DefaultModelId;
            _options = task.GenerationOptions?.Clone() ?? new ChatOptions();
            if (task.UseDefaultStructuredOutput)
            {
                task._schemaElement ??= JsonDocument.Parse(task.StructuredOutputSchema).RootElement.Clone();
                _options.ResponseFormat = ChatResponseFormat.ForJsonSchema(
                    task._schemaElement.Value, schemaName: SchemaName(task.Name), schemaDescription: null);
                _options.AdditionalProperties = _options.AdditionalProperties?.Clone() ?? [];
                _options.AdditionalProperties[ChatOptionsKeys.StrictJsonSchema] = true;
                _options.AdditionalProperties[ChatOptionsKeys.Grammar] = task.StructuredOutputGrammar;
            }
            if (task.HasTools)
            {
                _tools = new ToolLoop(task, llm, metrics, step);
                _options.Tools = [.. task.Tools];
            }
        }

        public LlmTask Task => _task;

        public async Task<IReadOnlyList<JsonObject>> RunRowAsync(JsonObject row, string key, long index, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(row);
            if (NullInput(row) is { } missing && EarlierFailure(row) is { } failedBefore)
            {
                return NotAsked(row, index, $"its input '{missing}' holds no value", failedBefore);
            }
            TInput input;
            try
            {
                input = _task.ReadRow(row, index);
            }
            catch (RowValueException notReadable) when (EarlierFailure(row) is { } earlier)
            {
                return NotAsked(row, index, notReadable.Message, earlier);
            }
            var generations = await RunInputAsync(input, key, index, cancellationToken).ConfigureAwait(false);
            var modelName = ModelName(generations);
            var unreadable = _task.UnreadableOutput(input);
            return _task.GroupGenerations
                ? [_rows.Grouped(row, generations, modelName, unreadable)]
                : _rows.OnePerGeneration(row, generations, modelName, unreadable);
        }

        // Rule: a row that an earlier step failed on, whose input holds a null (that step's missing
        // answer) or cannot be read for it, is not asked: its outputs are null and error_<task> names the earlier
        // failure, so it counts as failed and a rerun asks it again once the earlier step has its
        // answer. Any other row the task cannot read stops the run: that is a data or wiring error.
        private IReadOnlyList<JsonObject> NotAsked(JsonObject row, long index, string why, string earlier)
        {
            var failure = new EarlierStepFailedException(
                $"row {index} was not asked: {ErrorText.Sentence(why)} An earlier step failed on it ({earlier}).");
            if (Interlocked.Exchange(ref _notAskedLogged, 1) == 0)
            {
                _task.Logger.LogWarning("Task '{Task}': {Reason} Rows like it get null outputs; a rerun asks them again.", _task.Name, failure.Message);
            }
            var generations = Enumerable.Range(0, _task.NumGenerations).Select(_ => Generation<TOutput>.FromFailure(failure, null)).ToList();
            return _task.GroupGenerations ? [_rows.Grouped(row, generations, null, null)] : _rows.OnePerGeneration(row, generations, null, null);
        }

        private int _notAskedLogged;

        // The first required input column that is null or holds a null item (what a failed earlier step leaves), if any.
        private string? NullInput(JsonObject row) =>
            _task.RequiredInputs.FirstOrDefault(column => row.TryGetPropertyValue(column, out var value)
                && (value is null || value is JsonArray items && items.Any(item => item is null)));

        // The first error an earlier step left in the row's metadata (error_<step>), if any.
        private string? EarlierFailure(JsonObject row) => FirstError(row[_task.MetadataColumn]);

        private static string? FirstError(JsonNode? metadata) => metadata switch
        {
            JsonObject fields => fields
                .Select(f => f.Key.StartsWith("error_", StringComparison.Ordinal) && f.Value is JsonValue value && value.TryGetValue(out string? text)
                    ? $"{f.Key}: {text}"
                    : FirstError(f.Value))
                .FirstOrDefault(found => found is not null),
            JsonArray items => items.Select(FirstError).FirstOrDefault(found => found is not null),
            _ => null,
        };

        /// <summary>The generations of one input, in generation order; each waits for an LLM slot like any other request.</summary>
        public async Task<Generation<TOutput>[]> RunInputAsync(TInput input, string key, long index, CancellationToken cancellationToken)
        {
            var requests = new Task<Generation<TOutput>>[_task.NumGenerations];
            for (var generation = 0; generation < requests.Length; generation++)
            {
                requests[generation] = GenerateOneAsync(input, key, index, generation, cancellationToken);
            }
            var generations = await System.Threading.Tasks.Task.WhenAll(requests).ConfigureAwait(false);
            if (_calls is RecordedCalls recorded) recorded.CheckOneCallPerGeneration(key);
            else _metrics.RowGenerated(_step);
            return generations;
        }

        /// <summary>Logs what the run did as one line: a run of thousands of rows ends with a verdict, not a scroll of warnings.</summary>
        public void LogSummary()
        {
            var counts = _metrics.For(_step);
            if (counts.Reasked > 0 || counts.Repaired > 0)
            {
                _task.Logger.LogInformation(
                    "Task '{Task}' answers: {FirstTry} fit at the first try, {Reasked} asked again ({Fitted} then fit), {Repaired} mended in reading, {Lost} lost to misfits.",
                    _task.Name, counts.FirstTry, counts.Reasked, counts.ReaskFits, counts.Repaired, counts.Unparsed + counts.Rejected);
            }
            if (counts.AnswersReused > 0)
            {
                // Rule: a recomputed step says what it did not pay for again.
                _task.Logger.LogInformation(
                    "Task '{Task}': {Reused} answers reused from the run directory (already paid for), {New} new calls.",
                    _task.Name, counts.AnswersReused, counts.Calls + counts.FailedCalls);
            }
            foreach (var (tool, calls) in counts.Tools.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                _task.Logger.LogInformation(
                    "Task '{Task}' tool '{Tool}': {Calls} calls, {Errors} failed, {Reused} reused from the run directory, {Seconds:0.0} s.",
                    _task.Name, tool, calls.Calls, calls.Errors, calls.Reused, calls.Elapsed.TotalSeconds);
            }
            if (counts.FailedCalls == 0 && counts.Unparsed == 0 && counts.Rejected == 0)
            {
                _task.Logger.LogInformation(
                    "Task '{Task}' finished: {Rows} rows, {Answered} answers, all parsed; {InputTokens} input and {OutputTokens} output tokens.",
                    _task.Name, counts.Rows, counts.Calls, counts.InputTokens, counts.OutputTokens);
                return;
            }
            _task.Logger.LogWarning(
                "Task '{Task}' finished: {Rows} rows, {Answered} answers ({Unparsed} unparsed), {Failed} failed LLM calls imputed as null (first: {FirstFailure}), {Rejected} answers broke a rule, {CutOff} answers were cut off at the token limit; {InputTokens} input and {OutputTokens} output tokens.",
                _task.Name, counts.Rows, counts.Calls, counts.Unparsed, counts.FailedCalls, _firstFailure ?? "none", counts.Rejected, counts.CutOff, counts.InputTokens, counts.OutputTokens);
        }

        private async Task<Generation<TOutput>> GenerateOneAsync(TInput input, string key, long rowIndex, int generation, CancellationToken cancellationToken)
        {
            // One span per generation of a row, parent of its call attempts (a factory client's chat spans).
            using var span = _recording ? null : DistilDiagnostics.Source.StartActivity("distil.generation");
            span?.SetTag(RunMetrics.StepTag, _step);
            span?.SetTag("distil.row", rowIndex);
            span?.SetTag("distil.generation", generation);
            // A generator's rows share one prompt: each row's draws are numbered after the rows before it.
            var draw = _task.DistinctRowDraws && rowIndex >= 0 ? (int)(rowIndex * _task.NumGenerations) + generation : generation;
            var calls = new GenerationCalls(_calls, OptionsFor(draw, RowOptions(input)), key, rowIndex, generation, cancellationToken, _tools, _step);
            var repairs = Distil.Mapping.AnswerRepairs.Begin();
            TOutput? output;
            try
            {
                output = await _task.GenerateAsync(input, calls, cancellationToken).ConfigureAwait(false);
            }
            catch (LlmCallException failure) when (!cancellationToken.IsCancellationRequested)
            {
                // Rule: a failed call does not fail the run; the outputs of this generation are imputed as null.
                var error = failure.InnerException!;
                if (_recording) return Generation<TOutput>.FromFailure(error, calls.LastMessages); // told once, when the batch's answers are read
                _task.Logger.LogWarning(error,
                    "Task '{Task}': the LLM call for row {Row}, generation {Generation} failed ({Error}); its outputs are set to null.",
                    _task.Name, rowIndex, generation, error.GetType().Name);
                if (Volatile.Read(ref _firstFailure) is null)
                {
                    // Only the first is kept: in an outage every call fails, and formatting each would be waste.
                    Interlocked.CompareExchange(ref _firstFailure, $"{error.GetType().Name}: {FirstLine(error.Message)}", null);
                }
                span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, error.GetType().Name);
                span?.SetTag("distil.outcome", "failed");
                return Generation<TOutput>.FromFailure(error, calls.LastMessages);
            }
            catch (Exception) when (_recording && calls.Count > 0 && !cancellationToken.IsCancellationRequested)
            {
                // The task's code choked on the placeholder answer; the request is recorded, which is all recording needs.
                return Generation<TOutput>.FromFailure(new OfflineBatchException("recorded"), calls.LastMessages);
            }

            if (calls.ToolRoundsExhausted && !_recording) return RoundsExhausted(calls, rowIndex, generation, span);

            // Rule: an answer that does not fit is asked again, up to Reasks times, with what was wrong; the first that fits is kept.
            // Each re-ask is the first conversation, the last answer and what was wrong with it: the
            // conversation does not grow with every failed attempt.
            var earlier = new List<string?>();
            var sent = calls.LastMessages;
            while (earlier.Count < _reasks && sent is not null && calls.LastText is { } answer
                   && Misfit(output, input) is { } problem)
            {
                earlier.Add(answer);
                if (!_recording) _task.Logger.LogInformation(
                    "Task '{Task}': the answer for row {Row}, generation {Generation} does not fit ({Problem}); asking again ({Attempt} of {Reasks}).",
                    _task.Name, rowIndex, generation, problem, earlier.Count, _reasks);
                try
                {
                    var text = await calls.AskAsync([.. sent, new ChatMessage(ChatRole.Assistant, answer), new ChatMessage(ChatRole.User, problem)]).ConfigureAwait(false);
                    // The log flows into this call: what reading the new answer mends replaces the last one's notes.
                    repairs.Clear();
                    output = _task.FormatOutput(text, input);
                }
                catch (Exception) when (_recording && !cancellationToken.IsCancellationRequested)
                {
                    // The re-ask is recorded (or an earlier batch did not answer it), which is all recording needs.
                    break;
                }
                catch (LlmCallException failure) when (!cancellationToken.IsCancellationRequested)
                {
                    // A re-ask that fails after its retries leaves the answers there are: the last one stays unfit.
                    _task.Logger.LogWarning(failure.InnerException, "Task '{Task}': re-asking for row {Row}, generation {Generation} failed; the last answer is kept.", _task.Name, rowIndex, generation);
                    break;
                }
            }
            var (fit, reason) = _recording ? (AnswerFit.Fits, null) : _task.Judge(output, input);
            if (earlier.Count > 0 && !_recording) _metrics.AnswerReasked(_step, fits: fit == AnswerFit.Fits);

            string? rejected = null;
            UnfitAnswer? unfit = null;
            // Rule: an answer that hit the token limit is counted as cut off, whatever else is wrong with it.
            var cutOff = calls.LastFinishReason == ChatFinishReason.Length;
            if (fit == AnswerFit.BreaksRule)
            {
                // Rule: an output that breaks a rule of its row is imputed as null, with the reason kept apart from call failures.
                rejected = reason;
                output = null;
                unfit = new UnfitAnswer(cutOff ? UnfitCause.CutOff : UnfitCause.RuleBroken, calls.LastText, reason);
                _metrics.AnswerRejected(_step, unfit);
                _task.Logger.LogWarning(
                    "Task '{Task}': the answer for row {Row}, generation {Generation} breaks a rule of its row ({Reason}); its outputs are set to null and the reason is kept in '{MetadataColumn}'.",
                    _task.Name, rowIndex, generation, reason, _task.MetadataColumn);
            }
            else if (fit == AnswerFit.Unreadable)
            {
                // Rule: an answer with nothing readable keeps its raw text; it has no output (the rows show the task's unreadable shape).
                output = null;
                unfit = new UnfitAnswer(cutOff ? UnfitCause.CutOff : UnfitCause.FormatNotFollowed, calls.LastText);
                _metrics.AnswerUnparsed(_step, unfit);
                _task.Logger.LogWarning(
                    "Task '{Task}': the answer for row {Row}, generation {Generation} could not be read; its outputs are set to null and the raw answer is kept in '{MetadataColumn}'.",
                    _task.Name, rowIndex, generation, _task.MetadataColumn);
            }
            span?.SetTag("distil.outcome", output is not null ? "fit" : rejected is not null ? "rejected" : "unparsed");
            if (earlier.Count > 0) span?.SetTag("distil.reasks", earlier.Count);
            if (output is not null && !_recording)
            {
                if (earlier.Count == 0) _metrics.AnswerFitFirst(_step);
                if (repairs.Count > 0) _metrics.AnswerRepaired(_step);
            }
            return new Generation<TOutput>(calls.LastText, output, calls.Usage, calls.ModelId, calls.LastMessages ?? [], null) { Rejection = rejected, OutputError = unfit?.OutputError(_task.UseDefaultStructuredOutput), EarlierAnswers = earlier, Repairs = output is null ? [] : repairs.ToArray(), Trajectory = calls.Trajectory };
        }

        // Rule: a model that still asks for tools after MaxToolRounds rounds has given no answer:
        // the outputs are null and output_error_<task> says the rounds ran out (not asked again).
        private Generation<TOutput> RoundsExhausted(GenerationCalls calls, long rowIndex, int generation, System.Diagnostics.Activity? span)
        {
            var why = UnfitAnswer.UnreadablePrefix + $"the model still asked for tools after {_task.ToolOptions.MaxToolRounds} rounds (MaxToolRounds); no answer was kept";
            _metrics.AnswerUnparsed(_step, new UnfitAnswer(UnfitCause.FormatNotFollowed, calls.LastText, why));
            _task.Logger.LogWarning(
                "Task '{Task}': row {Row}, generation {Generation}: {Why}; its outputs are set to null.", _task.Name, rowIndex, generation, why);
            span?.SetTag("distil.outcome", "unparsed");
            return new Generation<TOutput>(calls.LastText, null, calls.Usage, calls.ModelId, calls.LastMessages ?? [], null) { OutputError = why, Trajectory = calls.Trajectory };
        }

        // With structured output, a row whose output has row constraints (one score per response, a
        // label from its own list) gets a schema and grammar of its own; rows alike share one, so
        // there are few distinct schemas (one per count) and provider-side schema caches hold.
        private ChatOptions RowOptions(TInput input)
        {
            if (!_task.UseDefaultStructuredOutput) return _options;
            var constraints = _task.RowConstraints(input);
            if (constraints.Count == 0) return _options;
            var key = string.Join("\n", constraints.Select(c => c.Key));
            if (_rowOptions.TryGetValue(key, out var cached)) return cached;
            var options = _options.Clone();
            var schema = RowSchemas.Schema(_task.StructuredOutputSchema, constraints);
            options.ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, schemaName: SchemaName(_task.Name), schemaDescription: null);
            options.AdditionalProperties = _options.AdditionalProperties?.Clone() ?? [];
            options.AdditionalProperties[ChatOptionsKeys.Grammar] = RowSchemas.Grammar(_task.StructuredOutputGrammar, _task.StructuredOutputSchema, constraints);
            // Bounded: label sets that differ on every row would otherwise grow it without end.
            if (_rowOptions.Count < 4096) _rowOptions.TryAdd(key, options);
            return options;
        }

        // What was wrong with an answer, as the follow-up turn of a re-ask tells the model; null when it fits.
        private string? Misfit(TOutput? output, TInput input) => _task.Judge(output, input) switch
        {
            (AnswerFit.Unreadable, _) when _task.UseDefaultStructuredOutput =>
                $"Your answer could not be read as a JSON object of the requested schema, with the fields {string.Join(", ", _task.Outputs)}. Answer again with only that JSON object.",
            (AnswerFit.Unreadable, _) =>
                $"Your answer could not be read: it must give {string.Join(", ", _task.Outputs)} in exactly the format the instructions ask for. Answer again in that format.",
            (AnswerFit.BreaksRule, var rule) => $"Your answer breaks a rule: {rule}. Answer again, in full and in the same format, keeping to it.",
            _ => null,
        };

        // Generations of one prompt must differ: with a fixed seed, each gets a seed of its own, and
        // each carries its index so that a response cache tells them apart. The first carries
        // none, so raising NumGenerations keeps the answers already cached.
        private static ChatOptions OptionsFor(int generation, ChatOptions row)
        {
            if (generation == 0) return row;
            var options = row.Clone();
            if (row.Seed is { } seed) options.Seed = unchecked(seed + generation);
            options.AdditionalProperties = row.AdditionalProperties?.Clone() ?? [];
            options.AdditionalProperties[ChatOptionsKeys.Generation] = generation;
            return options;
        }

        // The model asked for, else the one the client says it serves, else the one named by the first answer.
        private string? ModelName(IEnumerable<Generation<TOutput>> generations) =>
            _options.ModelId ?? _configuredModel ?? generations.Select(g => g.ModelId).FirstOrDefault(id => id is not null);

        // OpenAI accepts schema names of letters, digits, '_' and '-', at most 64 long; task
        // names are free text, so the others become '_'.
        private static string SchemaName(string taskName)
        {
            var name = new string(taskName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_').ToArray());
            return name.Length <= 64 ? name : name[..64];
        }

        private static string FirstLine(string message)
        {
            var end = message.IndexOfAny(['\r', '\n']);
            return end < 0 ? message : message[..end];
        }
    }
}

/// <summary>A run of a task, whatever its records: pipelines hold tasks of different types.</summary>
internal interface ITaskRun
{
    /// <summary>The task this run runs.</summary>
    LlmTask Task { get; }

    /// <summary>
    /// Turns one input row into its output rows: reads and checks its input, makes every generation
    /// through the run's call strategy, and builds the rows (one per generation, or one grouped).
    /// </summary>
    /// <param name="row">The input row; it is not changed.</param>
    /// <param name="key">The row's stable key in the run (offline batches name their requests by it).</param>
    /// <param name="index">The row's 0-based index in the run (errors, and <see cref="GenerationCalls.CreateRandom"/>).</param>
    /// <param name="cancellationToken">Cancelled when the run stops.</param>
    /// <exception cref="RowValueException">The row lacks a column or holds a value of the wrong shape.</exception>
    Task<IReadOnlyList<JsonObject>> RunRowAsync(JsonObject row, string key, long index, CancellationToken cancellationToken);

    /// <summary>Logs what the run did as one line.</summary>
    void LogSummary();
}

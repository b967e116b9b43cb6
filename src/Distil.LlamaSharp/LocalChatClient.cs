using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using LLama;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;
using Microsoft.Extensions.AI;

namespace Distil.LlamaSharp;

/// <summary>How a local GGUF model is loaded and run.</summary>
public sealed record LocalModelOptions
{
    /// <summary>Tokens of prompt and answer together that one request may use (default 2048).</summary>
    public uint ContextSize { get; init; } = 2048;

    /// <summary>
    /// How many requests decode together, as sequences of one batch (default 1). The context holds
    /// <see cref="ContextSize"/> tokens for each.
    /// </summary>
    public int MaxParallelRequests { get; init; } = 1;

    /// <summary>Layers offloaded to a GPU (default 0: CPU only, runs anywhere). Needs a GPU backend package, e.g. LLamaSharp.Backend.Cuda12.</summary>
    public int GpuLayerCount { get; init; }

    /// <summary>
    /// True (the default): one context, continuous batching of the parallel requests, a shared
    /// prompt prefix decoded once. False: a fresh context per request, one at a time per slot (the
    /// engine before batching, kept for comparison).
    /// </summary>
    public bool BatchedDecoding { get; init; } = true;

    /// <summary>
    /// True (the default): a request's answer depends only on the model, its prompt and its options
    /// (seed included), never on which other requests share the batch, so a resumed run writes what an
    /// uninterrupted one does. Each sequence keeps its own KV cache (llama.cpp's <c>kv_unified</c> off),
    /// always starting at its first cell, and no prompt prefix is shared. False: one KV cache for every
    /// sequence and shared prompt prefixes (<see cref="SharePromptPrefix"/>): faster when many rows
    /// share a long system prompt, but a sampled answer may change with its neighbours, because
    /// llama.cpp's attention sums a sequence's cache cells in the order they sit in the shared cache.
    /// </summary>
    public bool Reproducible { get; init; } = true;

    /// <summary>
    /// Whether the chat template and system prompt that many requests share are decoded once and
    /// forked for each (default true; batched decoding with <see cref="Reproducible"/> false only).
    /// </summary>
    public bool SharePromptPrefix { get; init; } = true;

    /// <summary>The most tokens decoded in one step, all sequences together (default 2048); also the longest prompt.</summary>
    public uint BatchSize { get; init; } = 2048;

    /// <summary>Checks the values, naming the one that is wrong.</summary>
    public void Validate()
    {
        if (ContextSize < 16) throw new ArgumentOutOfRangeException(nameof(ContextSize), ContextSize, "ContextSize must be 16 or more.");
        if (MaxParallelRequests < 1) throw new ArgumentOutOfRangeException(nameof(MaxParallelRequests), MaxParallelRequests, "MaxParallelRequests must be 1 or more.");
        if (GpuLayerCount < 0) throw new ArgumentOutOfRangeException(nameof(GpuLayerCount), GpuLayerCount, "GpuLayerCount must be 0 or more.");
        if (BatchSize < 16) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be 16 or more.");
    }
}

/// <summary>
/// A local GGUF model answering in-process, as an <see cref="IChatClient"/>. The weights are
/// loaded once per process and shared by every client of the same file. Requests are formatted
/// with the model's chat template and decoded together in one llama.cpp context (continuous
/// batching, up to <see cref="LocalModelOptions.MaxParallelRequests"/> at once, a shared system
/// prompt decoded once); each answer reports the model name and exact token usage. With structured output (a grammar under
/// <see cref="ChatOptionsKeys.Grammar"/>, which Distil tasks send), the model decodes under
/// that grammar, so its answer always parses.
/// </summary>
/// <example>
/// <code>
/// using var llm = LocalChatClient.Load("models/qwen2.5-0.5b-instruct-q4_k_m.gguf");
/// var task = new MyTask { Llm = llm };
/// </code>
/// </example>
public sealed class LocalChatClient : IChatClient, ISupportsPreQueryTemplate, ITokenCounter
{
    private readonly SharedWeights.Lease _lease;
    private readonly LLamaWeights _weights;
    private readonly ModelParams _parameters;
    private readonly SemaphoreSlim _slots;
    private readonly ChatClientMetadata _metadata;
    private readonly BatchedDecoder? _decoder;

    private LocalChatClient(SharedWeights.Lease lease, ModelParams parameters, string modelName, LocalModelOptions options)
    {
        _lease = lease;
        _weights = lease.Weights;
        _parameters = parameters;
        _slots = new SemaphoreSlim(options.MaxParallelRequests, options.MaxParallelRequests);
        Options = options;
        if (options.BatchedDecoding)
        {
            _decoder = new BatchedDecoder(_weights, BatchedContext(parameters.ModelPath, options), options.MaxParallelRequests,
                options.Reproducible ? (int)options.ContextSize : null);
        }
        ModelName = modelName;
        _metadata = new ChatClientMetadata("llama.cpp", new Uri(Path.GetFullPath(parameters.ModelPath)), modelName);
    }

    // One context for every sequence. Reproducible: a KV stream of ContextSize cells per sequence
    // (llama.cpp splits the context evenly between them), so that a sequence's cells, and the order
    // attention sums them in, never depend on its neighbours. Otherwise one unified cache: each
    // request's share, and room for the shared prefixes (four sequences of their own).
    private static ModelParams BatchedContext(string modelPath, LocalModelOptions options)
    {
        var parallel = (uint)options.MaxParallelRequests;
        return new ModelParams(modelPath)
        {
            ContextSize = options.Reproducible ? options.ContextSize * parallel : options.ContextSize * (parallel + 1),
            BatchSize = options.BatchSize,
            SeqMax = options.Reproducible ? parallel : parallel + 4,
            KVUnified = !options.Reproducible,
            GpuLayerCount = options.GpuLayerCount,
        };
    }

    /// <summary>The model's name: its GGUF <c>general.name</c>, else its file name.</summary>
    public string ModelName { get; }

    /// <summary>
    /// Loads a GGUF model from <paramref name="path"/>, or shares the weights already loaded from
    /// that file in this process.
    /// </summary>
    /// <param name="path">The .gguf file.</param>
    /// <param name="contextSize">Tokens of prompt and answer together that one request may use.</param>
    /// <param name="maxParallelRequests">How many requests decode together.</param>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static LocalChatClient Load(string path, uint contextSize = 2048, int maxParallelRequests = 1) =>
        Load(path, new LocalModelOptions { ContextSize = contextSize, MaxParallelRequests = maxParallelRequests });

    /// <summary>How this client runs its model.</summary>
    public LocalModelOptions Options { get; }

    /// <summary>Loads a GGUF model with <paramref name="options"/> (context, parallel sequences, GPU layers).</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static LocalChatClient Load(string path, LocalModelOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"No GGUF model at '{Path.GetFullPath(path)}'. Give the path of a .gguf file (for example with DISTIL_MODEL).", path);
        }
        var parameters = new ModelParams(Path.GetFullPath(path)) { ContextSize = options.ContextSize, GpuLayerCount = options.GpuLayerCount };
        var lease = SharedWeights.Acquire(parameters);
        var weights = lease.Weights;
        var name = weights.Metadata.TryGetValue("general.name", out var declared) && !string.IsNullOrWhiteSpace(declared)
            ? declared
            : Path.GetFileNameWithoutExtension(path);
        return new LocalChatClient(lease, parameters, name, options);
    }

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var functions = ToolCallGrammar.Callable(options);
        if (functions.Count > 0) messages = WithToolInstructions(messages, functions, ToolCallGrammar.CallRequired(options));
        var prompt = BuildPrompt(messages, options);
        var grammar = GrammarOf(options, functions);
        if (_decoder is not null)
        {
            var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
            var parameters = InferenceParameters(options, grammar);
            var result = await _decoder.GenerateAsync(prompt, SharedPrefix(list, options), parameters.SamplingPipeline, parameters.MaxTokens,
                parameters.AntiPrompts, cancellationToken).ConfigureAwait(false);
            var text = WithoutStopSequence(result.Text, options?.StopSequences);
            var call = functions.Count > 0 ? ToolCallGrammar.Read(text, functions, prompt) : null;
            return new ChatResponse(AnswerMessage(text, call))
            {
                ModelId = ModelName,
                CreatedAt = DateTimeOffset.UtcNow,
                FinishReason = result.Truncated ? ChatFinishReason.Length : call is not null ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = result.InputTokens, OutputTokenCount = result.OutputTokens },
            };
        }
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var executor = new StatelessExecutor(_weights, _parameters);
            var text = new StringBuilder();
            var outputTokens = 0;
            await foreach (var piece in executor.InferAsync(prompt, InferenceParameters(options, grammar), cancellationToken).ConfigureAwait(false))
            {
                outputTokens++; // the executor yields one piece of text per generated token
                text.Append(piece);
            }
            // The executor ends its loop quietly when cancelled: a cut-off answer must not pass for a whole one.
            cancellationToken.ThrowIfCancellationRequested();
            var answer = WithoutStopSequence(text.ToString(), options?.StopSequences);
            var call = functions.Count > 0 ? ToolCallGrammar.Read(answer, functions, prompt) : null;

            return new ChatResponse(AnswerMessage(answer, call))
            {
                ModelId = ModelName,
                CreatedAt = DateTimeOffset.UtcNow,
                FinishReason = call is not null ? ChatFinishReason.ToolCalls : null,
                Usage = new UsageDetails
                {
                    InputTokenCount = _weights.Tokenize(prompt, true, true, Encoding.UTF8).Length,
                    OutputTokenCount = outputTokens,
                    TotalTokenCount = null,
                },
            };
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    /// <summary>The GGUF file's own vocabulary, with its chat template applied.</summary>
    string ITokenCounter.Name => $"the GGUF vocabulary of {ModelName}";

    bool ITokenCounter.IsExact => true;

    /// <summary>The prompt's tokens as this client sends it (its chat template applied): the count its answers report as input tokens.</summary>
    int ITokenCounter.CountTokens(IReadOnlyList<ChatMessage> messages) =>
        _weights.Tokenize(BuildPrompt(messages, null), true, true, Encoding.UTF8).Length;

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <summary>Lets go of the model's weights; they are freed when no client of the file is left.</summary>
    public void Dispose()
    {
        _decoder?.Dispose();
        _lease.Dispose();
        _slots.Dispose();
    }

    // The prompt up to the end of its leading system message(s), rendered alone: what every row of
    // a task with that system prompt shares, decoded once.
    private string? SharedPrefix(IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        // A fork copies part of one sequence's cache into another's: only a unified cache can do that.
        if (Options.Reproducible || !Options.SharePromptPrefix) return null;
        var system = messages.TakeWhile(m => m.Role == ChatRole.System).ToList();
        if (system.Count == 0 || system.Count == messages.Count) return null;
        if (options?.AdditionalProperties?.ContainsKey(ChatOptionsKeys.PreQueryTemplate) == true) return null;
        var template = new LLamaTemplate(_weights, strict: false) { AddAssistant = false };
        foreach (var message in system) template.Add(message.Role.Value, MessageText(message));
        return Encoding.UTF8.GetString(template.Apply());
    }

    // An answer read as a tool call carries the call, so the task's tool loop runs it; else its text.
    private static ChatMessage AnswerMessage(string text, FunctionCallContent? call) =>
        call is null ? new ChatMessage(ChatRole.Assistant, text) : new ChatMessage(ChatRole.Assistant, [call]);

    // The chat template knows nothing of tools: a system message says which there are and how to
    // call one (joined to the request's own system message, when it has one).
    private static List<ChatMessage> WithToolInstructions(IEnumerable<ChatMessage> messages, IReadOnlyList<AIFunctionDeclaration> functions, bool callRequired)
    {
        var list = messages.ToList();
        var instructions = ToolCallGrammar.Instructions(functions, callRequired);
        if (list.Count > 0 && list[0].Role == ChatRole.System) list[0] = new ChatMessage(ChatRole.System, list[0].Text + "\n\n" + instructions);
        else list.Insert(0, new ChatMessage(ChatRole.System, instructions));
        return list;
    }

    // Distil tasks send their output's grammar with structured output; a JSON-schema response
    // format without one cannot be honoured here, and saying so beats answering in free text.
    // With tools, the grammar allows a call of one of them, or (unless one is required) the answer.
    private static Grammar? GrammarOf(ChatOptions? options, IReadOnlyList<AIFunctionDeclaration> functions)
    {
        var answer = AnswerGrammar(options);
        if (functions.Count > 0)
        {
            var gbnf = ToolCallGrammar.Write(functions, ToolCallGrammar.CallRequired(options), answer);
            GbnfChecker.Check(gbnf);
            return new Grammar(gbnf, "root");
        }
        if (answer is null) return null;
        GbnfChecker.Check(answer);
        return new Grammar(answer, "root");
    }

    private static string? AnswerGrammar(ChatOptions? options)
    {
        if (options?.AdditionalProperties?.TryGetValue(ChatOptionsKeys.Grammar, out var value) == true && value is string { Length: > 0 } gbnf)
        {
            return gbnf;
        }
        if (options?.ResponseFormat is ChatResponseFormatJson { Schema: not null })
        {
            throw new NotSupportedException(
                "A local model needs a GBNF grammar for structured output: pass it under ChatOptions.AdditionalProperties[\"" +
                ChatOptionsKeys.Grammar + "\"]. Distil tasks with UseDefaultStructuredOutput send their generated grammar.");
        }
        return null;
    }

    // The executor yields the stop sequence that ended the answer; as remote providers do, leave it out.
    // The answer up to the first stop sequence (which a token may hold in its middle).
    private static string WithoutStopSequence(string text, IList<string>? stopSequences)
    {
        var cut = text.Length;
        foreach (var stop in stopSequences ?? [])
        {
            if (stop.Length > 0 && text.IndexOf(stop, StringComparison.Ordinal) is >= 0 and var at && at < cut) cut = at;
        }
        return text[..cut];
    }

    // The GGUF's own chat template; models that carry none get llama.cpp's default (ChatML).
    // With a pre-query template the model continues a user turn instead of opening its own.
    private string BuildPrompt(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var preQuery = options?.AdditionalProperties?.TryGetValue(ChatOptionsKeys.PreQueryTemplate, out var value) == true
            ? value as string
            : null;
        var template = new LLamaTemplate(_weights, strict: false) { AddAssistant = preQuery is null };
        var count = 0;
        foreach (var message in messages)
        {
            template.Add(message.Role.Value, MessageText(message));
            count++;
        }
        var rendered = count == 0 && preQuery is not null ? "" : Encoding.UTF8.GetString(template.Apply());
        return rendered + preQuery;
    }

    // A turn of a tool conversation as the model sees it: an assistant's call as the JSON it
    // decodes, a tool's result as its text.
    private static string MessageText(ChatMessage message)
    {
        var calls = message.Contents.OfType<FunctionCallContent>()
            .Select(call => JsonSerializer.Serialize(new Dictionary<string, object?> { ["name"] = call.Name, ["arguments"] = call.Arguments }, AIJsonUtilities.DefaultOptions));
        var results = message.Contents.OfType<FunctionResultContent>()
            .Select(result => result.Result as string ?? JsonSerializer.Serialize(result.Result, AIJsonUtilities.DefaultOptions));
        return string.Join("\n", new[] { message.Text }.Where(t => !string.IsNullOrEmpty(t)).Concat(calls).Concat(results));
    }

    private static InferenceParams InferenceParameters(ChatOptions? options, Grammar? grammar)
    {
        var defaults = new DefaultSamplingPipeline();
        var sampling = new DefaultSamplingPipeline
        {
            Temperature = options?.Temperature ?? defaults.Temperature,
            TopP = options?.TopP ?? defaults.TopP,
            TopK = options?.TopK ?? defaults.TopK,
            Seed = options?.Seed is { } seed ? unchecked((uint)seed) : defaults.Seed,
            FrequencyPenalty = options?.FrequencyPenalty ?? defaults.FrequencyPenalty,
            PresencePenalty = options?.PresencePenalty ?? defaults.PresencePenalty,
            Grammar = grammar,
        };
        return new InferenceParams
        {
            MaxTokens = options?.MaxOutputTokens ?? 256,
            AntiPrompts = options?.StopSequences?.ToList() ?? [],
            SamplingPipeline = sampling,
        };
    }
}

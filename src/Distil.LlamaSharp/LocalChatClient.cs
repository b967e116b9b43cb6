using System.Runtime.CompilerServices;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;
using Microsoft.Extensions.AI;

namespace Distil.LlamaSharp;

/// <summary>
/// A local GGUF model answering in-process, as an <see cref="IChatClient"/>. The weights are
/// loaded once per process and shared by every client of the same file; each request gets its
/// own llama.cpp context, formatted with the model's chat template, and its answer reports the
/// model name and token usage. With structured output (a grammar under
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

    private LocalChatClient(SharedWeights.Lease lease, ModelParams parameters, string modelName, int maxParallelRequests)
    {
        _lease = lease;
        _weights = lease.Weights;
        _parameters = parameters;
        _slots = new SemaphoreSlim(maxParallelRequests, maxParallelRequests);
        ModelName = modelName;
        _metadata = new ChatClientMetadata("llama.cpp", new Uri(Path.GetFullPath(parameters.ModelPath)), modelName);
    }

    /// <summary>The model's name: its GGUF <c>general.name</c>, else its file name.</summary>
    public string ModelName { get; }

    /// <summary>
    /// Loads a GGUF model from <paramref name="path"/>, or shares the weights already loaded from
    /// that file in this process.
    /// </summary>
    /// <param name="path">The .gguf file.</param>
    /// <param name="contextSize">Tokens of prompt and answer together that one request may use.</param>
    /// <param name="maxParallelRequests">How many requests may run at once, each with its own context.</param>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static LocalChatClient Load(string path, uint contextSize = 2048, int maxParallelRequests = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"No GGUF model at '{Path.GetFullPath(path)}'. Give the path of a .gguf file (for example with DISTIL_MODEL).", path);
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParallelRequests, 1);

        var parameters = new ModelParams(Path.GetFullPath(path)) { ContextSize = contextSize, GpuLayerCount = 0 };
        var lease = SharedWeights.Acquire(parameters);
        var weights = lease.Weights;
        var name = weights.Metadata.TryGetValue("general.name", out var declared) && !string.IsNullOrWhiteSpace(declared)
            ? declared
            : Path.GetFileNameWithoutExtension(path);
        return new LocalChatClient(lease, parameters, name, maxParallelRequests);
    }

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var prompt = BuildPrompt(messages, options);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var executor = new StatelessExecutor(_weights, _parameters);
            var text = new StringBuilder();
            var outputTokens = 0;
            await foreach (var piece in executor.InferAsync(prompt, InferenceParameters(options), cancellationToken).ConfigureAwait(false))
            {
                outputTokens++; // the executor yields one piece of text per generated token
                text.Append(piece);
            }
            // The executor ends its loop quietly when cancelled: a cut-off answer must not pass for a whole one.
            cancellationToken.ThrowIfCancellationRequested();
            var answer = WithoutStopSequence(text.ToString(), options?.StopSequences);

            return new ChatResponse(new ChatMessage(ChatRole.Assistant, answer))
            {
                ModelId = ModelName,
                CreatedAt = DateTimeOffset.UtcNow,
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
        _lease.Dispose();
        _slots.Dispose();
    }

    // Distil tasks send their output's grammar with structured output; a JSON-schema response
    // format without one cannot be honoured here, and saying so beats answering in free text.
    private static Grammar? GrammarOf(ChatOptions? options)
    {
        if (options?.AdditionalProperties?.TryGetValue(ChatOptionsKeys.Grammar, out var value) == true && value is string { Length: > 0 } gbnf)
        {
            GbnfChecker.Check(gbnf);
            return new Grammar(gbnf, "root");
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
    private static string WithoutStopSequence(string text, IList<string>? stopSequences)
    {
        foreach (var stop in stopSequences ?? [])
        {
            if (stop.Length > 0 && text.EndsWith(stop, StringComparison.Ordinal)) return text[..^stop.Length];
        }
        return text;
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
            template.Add(message.Role.Value, message.Text);
            count++;
        }
        var rendered = count == 0 && preQuery is not null ? "" : Encoding.UTF8.GetString(template.Apply());
        return rendered + preQuery;
    }

    private static InferenceParams InferenceParameters(ChatOptions? options)
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
            Grammar = GrammarOf(options),
        };
        return new InferenceParams
        {
            MaxTokens = options?.MaxOutputTokens ?? 256,
            AntiPrompts = options?.StopSequences?.ToList() ?? [],
            SamplingPipeline = sampling,
        };
    }
}

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
/// loaded once; each request gets its own llama.cpp context, formatted with the model's chat
/// template, and its answer reports the model name and token usage.
/// </summary>
/// <example>
/// <code>
/// using var llm = LocalChatClient.Load("models/qwen2.5-0.5b-instruct-q4_k_m.gguf");
/// var task = new MyTask { Llm = llm };
/// </code>
/// </example>
public sealed class LocalChatClient : IChatClient
{
    private readonly LLamaWeights _weights;
    private readonly ModelParams _parameters;
    private readonly SemaphoreSlim _slots;
    private readonly ChatClientMetadata _metadata;

    private LocalChatClient(LLamaWeights weights, ModelParams parameters, string modelName, int maxParallelRequests)
    {
        _weights = weights;
        _parameters = parameters;
        _slots = new SemaphoreSlim(maxParallelRequests, maxParallelRequests);
        ModelName = modelName;
        _metadata = new ChatClientMetadata("llama.cpp", new Uri(Path.GetFullPath(parameters.ModelPath)), modelName);
    }

    /// <summary>The model's name: its GGUF <c>general.name</c>, else its file name.</summary>
    public string ModelName { get; }

    /// <summary>Loads a GGUF model from <paramref name="path"/>.</summary>
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

        // llama.cpp writes its progress to the console; a data run's output should stay readable.
        NativeLibraryConfig.All.WithLogCallback(static (_, _) => { });
        var parameters = new ModelParams(path) { ContextSize = contextSize, GpuLayerCount = 0 };
        var weights = LLamaWeights.LoadFromFile(parameters);
        var name = weights.Metadata.TryGetValue("general.name", out var declared) && !string.IsNullOrWhiteSpace(declared)
            ? declared
            : Path.GetFileNameWithoutExtension(path);
        return new LocalChatClient(weights, parameters, name, maxParallelRequests);
    }

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var prompt = ApplyChatTemplate(messages);
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

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <summary>Frees the model's weights.</summary>
    public void Dispose()
    {
        _weights.Dispose();
        _slots.Dispose();
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
    private string ApplyChatTemplate(IEnumerable<ChatMessage> messages)
    {
        var template = new LLamaTemplate(_weights, strict: false) { AddAssistant = true };
        foreach (var message in messages) template.Add(message.Role.Value, message.Text);
        return Encoding.UTF8.GetString(template.Apply());
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
        };
        return new InferenceParams
        {
            MaxTokens = options?.MaxOutputTokens ?? 256,
            AntiPrompts = options?.StopSequences?.ToList() ?? [],
            SamplingPipeline = sampling,
        };
    }
}

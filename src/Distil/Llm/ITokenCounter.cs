using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>
/// Counts the tokens a model sees, for the estimate before a run. A provider's client offers one
/// through <c>GetService&lt;ITokenCounter&gt;()</c> when it knows its model's tokenizer: the OpenAI
/// provider for OpenAI models (o200k, cl100k), the local provider from the GGUF file's own
/// vocabulary. Clients without one are estimated with <see cref="ApproximateTokenCounter"/>.
/// </summary>
public interface ITokenCounter
{
    /// <summary>The tokenizer, for the estimate's printout, e.g. <c>o200k_base</c>.</summary>
    string Name { get; }

    /// <summary>True when the count is the model's own; false for an approximation.</summary>
    bool IsExact { get; }

    /// <summary>The tokens of the messages of one request, the chat format's own tokens included when known.</summary>
    int CountTokens(IReadOnlyList<ChatMessage> messages);
}

/// <summary>
/// A stated approximation for models whose tokenizer is unknown: one token per four characters of
/// message text (rounded up per message), the rule of thumb for English text with BPE tokenizers.
/// </summary>
public sealed class ApproximateTokenCounter : ITokenCounter
{
    /// <summary>The one instance.</summary>
    public static ApproximateTokenCounter Instance { get; } = new();

    private ApproximateTokenCounter()
    {
    }

    /// <inheritdoc/>
    public string Name => "approximation: 4 characters a token";

    /// <inheritdoc/>
    public bool IsExact => false;

    /// <inheritdoc/>
    public int CountTokens(IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return messages.Sum(m => (m.Text.Length + 3) / 4);
    }
}

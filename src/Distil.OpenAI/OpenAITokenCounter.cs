using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace Distil.OpenAI;

/// <summary>
/// Counts tokens as OpenAI models do: the model's tiktoken encoding (o200k_base for the GPT-4o,
/// GPT-4.1, GPT-5 and o-series families, cl100k_base for GPT-4 and GPT-3.5), from
/// Microsoft.ML.Tokenizers and its data packages, plus the chat format's own tokens: three per
/// message and three that open the answer, as OpenAI documents for its chat models.
/// </summary>
internal sealed class OpenAITokenCounter : ITokenCounter
{
    private const int TokensPerMessage = 3;
    private const int TokensOpeningTheAnswer = 3;

    private readonly Tokenizer _tokenizer;

    private OpenAITokenCounter(string model, Tokenizer tokenizer)
    {
        Name = $"tiktoken for {model}";
        _tokenizer = tokenizer;
    }

    public string Name { get; }

    public bool IsExact => true;

    /// <summary>The counter for <paramref name="model"/>, or null when it is not a model whose encoding is known (a deployment named otherwise, a model of another vendor).</summary>
    public static OpenAITokenCounter? For(string model)
    {
        try
        {
            return new OpenAITokenCounter(model, TiktokenTokenizer.CreateForModel(model));
        }
        catch (Exception error) when (error is NotSupportedException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    public int CountTokens(IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return messages.Sum(m => TokensPerMessage + _tokenizer.CountTokens(m.Text)) + TokensOpeningTheAnswer;
    }
}

using Microsoft.Extensions.AI;

namespace Distil.Tasks;

/// <summary>
/// A checked, ordered set of mutation prompts. The order is by name, so that a seed picks the
/// same mutations whatever order the dictionary was built in.
/// </summary>
internal sealed class Mutations
{
    private readonly KeyValuePair<string, string>[] _byName;

    public Mutations(IReadOnlyDictionary<string, string> mutations, string task, params string[] placeholders)
    {
        ArgumentNullException.ThrowIfNull(mutations);
        if (mutations.Count == 0) throw new ArgumentException($"{task} needs at least one mutation.", nameof(mutations));
        foreach (var (name, prompt) in mutations)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"{task}: a mutation has an empty name.", nameof(mutations));
            foreach (var placeholder in placeholders)
            {
                if (prompt is null || !prompt.Contains(placeholder, StringComparison.Ordinal))
                {
                    throw new ArgumentException(
                        $"{task}: mutation '{name}' must contain the placeholder {placeholder}, where the text to evolve goes.", nameof(mutations));
                }
            }
        }
        Source = mutations;
        _byName = mutations.OrderBy(m => m.Key, StringComparer.Ordinal).ToArray();
    }

    /// <summary>The dictionary the set was made from.</summary>
    public IReadOnlyDictionary<string, string> Source { get; }

    /// <summary>The first mutation by name: what <c>Print</c> shows.</summary>
    public string First => _byName[0].Value;

    /// <summary>A mutation chosen by <paramref name="random"/>.</summary>
    public string Pick(Random random) => _byName[random.Next(_byName.Length)].Value;

    /// <summary>
    /// Runs <paramref name="rounds"/> rounds from <paramref name="start"/>: each picks a mutation,
    /// fills it (<paramref name="fill"/>: mutation, text so far → prompt), asks, and reads the
    /// answer as the next text. Returns the text after every round, or null when a round's answer
    /// is empty.
    /// </summary>
    public async Task<List<string>?> EvolveAsync(GenerationCalls calls, Random random, int rounds, string start, Func<string, string, string> fill)
    {
        var evolved = new List<string>(rounds);
        var current = start;
        for (var round = 0; round < rounds; round++)
        {
            var prompt = fill(Pick(random), current);
            var next = Parsing.EvolvedText.Read(await calls.AskAsync([new ChatMessage(ChatRole.User, prompt)]).ConfigureAwait(false));
            if (next is null) return null;
            evolved.Add(next);
            current = next;
        }
        return evolved;
    }

    /// <summary>A mutation prompt with its placeholders filled.</summary>
    public static string Fill(string mutation, string prompt, string? response = null)
    {
        var text = mutation.Replace(EvolutionPrompts.PromptPlaceholder, prompt, StringComparison.Ordinal);
        return response is null ? text : text.Replace(EvolutionPrompts.ResponsePlaceholder, response, StringComparison.Ordinal);
    }
}

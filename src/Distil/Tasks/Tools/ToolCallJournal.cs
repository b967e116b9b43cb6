using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

namespace Distil;

/// <summary>Where one tool call sits in a run: its step, row, generation, conversation, round and place in the turn.</summary>
/// <param name="Step">The step (or task) that runs it.</param>
/// <param name="RowKey">The key of the row it was made for.</param>
/// <param name="Generation">The row's generation.</param>
/// <param name="Call">The generation's call number the conversation started at (a re-ask starts a new one).</param>
/// <param name="Repeat">How many earlier identical conversations of the generation there were (<see cref="CallRequest.Repeat"/>).</param>
/// <param name="Round">The tool round within the conversation, from 0.</param>
internal readonly record struct ToolCallPlace(string Step, string RowKey, int Generation, int Call, int Repeat, int Round);

/// <summary>What one tool call gave: its result text, or the error the model was told; and how long it ran.</summary>
internal sealed record ToolCallOutcome(string? Result, string? Error, long ElapsedMs)
{
    /// <summary>True when the outcome was read from the journal: the tool did not run again.</summary>
    public bool Reused { get; init; }
}

/// <summary>
/// The tool calls a run directory has finished, kept beside its answers (<c>answers.db</c>): a
/// resumed or recomputed run finds each call there by where it was made (step, row, generation,
/// conversation, round, place in the turn) and what it asked (tool and arguments), and does not
/// run it again. Tools have side effects; running one twice is not free, whatever it costs.
/// </summary>
/// <remarks>
/// The run's answers client offers it (<see cref="ResponseCachingChatClient"/> keyed by row, as
/// <c>GetService</c>), so a task run finds it through its LLM, and a run without a run directory
/// has none. A journal that cannot be read or written warns and runs the call, as the answers do.
/// </remarks>
internal sealed class ToolCallJournal(IDistributedCache store, ILogger logger)
{
    private const string KeyFormat = "distil-tool-call-v1";

    private static readonly DistributedCacheEntryOptions NoExpiry = new();

    /// <summary>The key of a call: a hash of where it was made, the tool's name, its place in the turn and its arguments.</summary>
    public static string Key(ToolCallPlace place, int index, string tool, string arguments)
    {
        var text = string.Join('\u001f', KeyFormat, place.Step, place.RowKey, place.Generation, place.Call, place.Repeat, place.Round, index, tool, arguments);
        return "tool:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
    }

    /// <summary>The outcome kept under <paramref name="key"/>, or null (none, or unreadable: then with a warning).</summary>
    public async Task<ToolCallOutcome?> FindAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = await store.GetAsync(key, cancellationToken).ConfigureAwait(false);
            if (bytes is null) return null;
            var kept = JsonNode.Parse(bytes)!.AsObject();
            return new ToolCallOutcome((string?)kept["result"], (string?)kept["error"], (long?)kept["elapsed_ms"] ?? 0) { Reused = true };
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            logger.LogWarning("A tool call kept in the run directory could not be read; the tool is called again. {Error}", error.Message);
            return null;
        }
    }

    /// <summary>Keeps <paramref name="outcome"/> under <paramref name="key"/>; a write that fails is warned about and skipped.</summary>
    public async Task KeepAsync(string key, ToolCallOutcome outcome, CancellationToken cancellationToken)
    {
        var kept = new JsonObject { ["result"] = outcome.Result, ["error"] = outcome.Error, ["elapsed_ms"] = outcome.ElapsedMs };
        try
        {
            await store.SetAsync(key, Encoding.UTF8.GetBytes(kept.ToJsonString()), NoExpiry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            logger.LogWarning("A tool call could not be kept in the run directory; a resumed run would call it again. {Error}", error.Message);
        }
    }

    /// <summary>The arguments of a call as compact JSON text (its key and its trajectory entry).</summary>
    public static string ArgumentsText(IDictionary<string, object?>? arguments) =>
        arguments is null ? "{}" : JsonSerializer.Serialize(arguments, Compact.GetTypeInfo(typeof(IDictionary<string, object?>)));

    // M.E.AI's contracts (no reflection), written on one line.
    internal static readonly JsonSerializerOptions Compact = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };
}

using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

namespace Distil.Pipelines;

/// <summary>
/// The answers a run directory paid for: <c>answers.db</c> beside the run store, one entry per
/// answered request of a row of a step (<see cref="ResponseCachingChatClient.AnswerKey"/>: the
/// provider, the messages, the whole options, the step's name, the row's key). Every online task step asks through it, so a step
/// that is computed again, for whatever reason (its signature changed, an earlier step changed
/// some rows, a run was killed between a row's calls), pays only for requests it has never sent.
/// </summary>
/// <remarks>
/// Not the user's response cache (<c>--cache</c>): that one is shared between runs and keyed by
/// the request alone; these answers belong to one run directory and to the row that asked, so two
/// rows with the same prompt (a sampled question, a generator without input) keep answers of their own.
/// </remarks>
internal static class RunAnswers
{
    /// <summary>The file's name in the run directory.</summary>
    public const string FileName = "answers.db";

    /// <summary>Opens (creating when absent) the answers of <paramref name="runDirectory"/>.</summary>
    /// <exception cref="ResponseCacheException">The file is damaged or not a Distil answers file.</exception>
    /// <remarks>
    /// Written as the run store is (WAL, <c>synchronous = NORMAL</c>): a killed run keeps every
    /// answer it received, and a call's slot never waits for the disk to confirm a write.
    /// </remarks>
    public static ResponseCache Open(string runDirectory) => ResponseCache.OpenFile(Path.Combine(runDirectory, FileName), null, null, syncEachWrite: false);

    /// <summary>
    /// <paramref name="llm"/> answering from <paramref name="answers"/> when the row in progress
    /// (<see cref="CallScope.RowKey"/>) sent the same request before, and keeping every new answer there.
    /// </summary>
    /// <remarks>A run whose answers file is empty reads nothing from it: each call pays one write only.</remarks>
    public static IChatClient Around(IChatClient llm, ResponseCache answers, ILogger logger) =>
        new ResponseCachingChatClient(llm, answers, logger) { KeyedByRow = true, StartsEmpty = IsEmpty(answers) };

    // An unreadable count is not "empty": the reads then try, and warn, one by one.
    private static bool IsEmpty(ResponseCache answers)
    {
        try
        {
            return !answers.HasEntries;
        }
        catch (ResponseCacheException)
        {
            return false;
        }
    }

    /// <summary>
    /// The key of the request of <paramref name="step"/>'s row <paramref name="rowKey"/> to
    /// <paramref name="llm"/>, as <see cref="Around"/> keeps its answer (see <see cref="ResponseCachingChatClient.AnswerKey"/>).
    /// </summary>
    public static string Key(IChatClient llm, IEnumerable<ChatMessage> messages, ChatOptions? options, string step, string rowKey, int repeat = 0) =>
        ResponseCachingChatClient.AnswerKey(llm.GetService<ChatClientMetadata>(), messages, options, step, rowKey, repeat);

    /// <summary>
    /// The answer kept under <paramref name="key"/>, stored as <see cref="Around"/> stores it; null
    /// when there is none, or it cannot be read (then with a warning: the request is sent again).
    /// </summary>
    public static async Task<ChatResponse?> FindAsync(ResponseCache answers, string key, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = await answers.GetAsync(key, cancellationToken).ConfigureAwait(false);
            return bytes is null ? null : JsonSerializer.Deserialize(bytes, ResponseInfo);
        }
        catch (Exception error) when (error is ResponseCacheException or JsonException)
        {
            logger.LogWarning("An answer kept in the run directory could not be read; it is asked for again. {Error}", error.Message);
            return null;
        }
    }

    /// <summary>Keeps <paramref name="response"/> under <paramref name="key"/>; a write that fails is warned about and skipped.</summary>
    public static async Task KeepAsync(ResponseCache answers, string key, ChatResponse response, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await answers.SetAsync(key, JsonSerializer.SerializeToUtf8Bytes(response, ResponseInfo), NoExpiry, cancellationToken).ConfigureAwait(false);
        }
        catch (ResponseCacheException error)
        {
            logger.LogWarning("An answer could not be kept in the run directory; the run keeps it. {Error}", error.Message);
        }
    }

    private static readonly DistributedCacheEntryOptions NoExpiry = new();

    // The contract ResponseCachingChatClient stores answers with: an answer kept by a batch step reads as one kept online.
    private static JsonTypeInfo<ChatResponse> ResponseInfo => (JsonTypeInfo<ChatResponse>)AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse));
}

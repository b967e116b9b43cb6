using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>
/// What an earlier run left in a run directory, read for a dry run without creating or changing
/// anything there: which steps the next run replays and which it recomputes (and why), the rows
/// each replays, and whether an answer is kept for a request.
/// </summary>
internal sealed class EarlierRun : IDisposable
{
    private readonly ReadOnlyDatabase? _store;
    private readonly ReadOnlyDatabase? _answers;
    private readonly IReadOnlyDictionary<PipelineStep, StepSignature> _signatures;
    private readonly IReadOnlyDictionary<string, SignatureChange.Stored> _stored;

    private EarlierRun(string directory, ReadOnlyDatabase? store, ReadOnlyDatabase? answers, IReadOnlyList<PipelineStep> order)
    {
        Directory = directory;
        _store = store;
        _answers = answers;
        _signatures = StepSignature.OfAll(order);
        _stored = store is null ? new Dictionary<string, SignatureChange.Stored>() : RunStore.StoredSteps(store.Connection);
        Recomputed = SignatureChange.Find(order, _signatures, _stored);
    }

    /// <summary>The run directory's full path.</summary>
    public string Directory { get; }

    /// <summary>Whether the directory holds a run store (false: every call of the run is new).</summary>
    public bool HasStore => _store is not null;

    /// <summary>The steps the run recomputes, with why, in run order.</summary>
    public IReadOnlyList<StepRecompute> Recomputed { get; }

    /// <summary>Reads the run directory <paramref name="directory"/> (it need not exist) for the steps of <paramref name="order"/>.</summary>
    /// <exception cref="PipelineException">A file there is not a Distil run store or answers file, or is damaged.</exception>
    public static EarlierRun Open(string directory, IReadOnlyList<PipelineStep> order)
    {
        var full = Path.GetFullPath(directory);
        ReadOnlyDatabase? store = null;
        ReadOnlyDatabase? answers = null;
        var reading = Path.Combine(full, RunStore.FileName);
        try
        {
            store = ReadOnlyDatabase.Open(reading);
            reading = Path.Combine(full, AnswersFileName);
            answers = ReadOnlyDatabase.Open(reading);
            return new EarlierRun(full, store, answers, order);
        }
        catch (SqliteException error)
        {
            store?.Dispose();
            answers?.Dispose();
            throw new PipelineException($"The run directory's file '{reading}' cannot be read ({error.Message}); give the dry run another run directory, or delete that one.", error);
        }
    }

    /// <summary>The file of the answers a run directory keeps (by step, request and row).</summary>
    public const string AnswersFileName = RunAnswers.FileName;

    /// <summary>Why <paramref name="step"/> recomputes, or null when it replays (its signature is the stored one) or is new.</summary>
    public StepRecompute? RecomputeOf(PipelineStep step) => Recomputed.FirstOrDefault(r => r.Step == step.Name);

    /// <summary>Whether the store knows <paramref name="step"/> under its signature in this run: its stored rows are replayed.</summary>
    public bool Replays(PipelineStep step) =>
        _stored.TryGetValue(step.Name, out var stored) && stored.Signature.Hash == _signatures[step].Hash;

    /// <summary>The input rows of <paramref name="step"/> the run replays (none when it recomputes).</summary>
    public IReadOnlySet<string> ReplayedKeys(PipelineStep step) =>
        _store is not null && Replays(step) ? RunStore.ReplayedKeys(_store.Connection, step.Name) : new HashSet<string>();

    /// <summary>
    /// Whether the directory keeps an answer to the request <paramref name="messages"/> with
    /// <paramref name="options"/>, sent to <paramref name="llm"/> by <paramref name="step"/> for the row <paramref name="rowKey"/>:
    /// the run then reuses it and makes no call.
    /// </summary>
    public bool HasAnswer(IChatClient llm, IEnumerable<ChatMessage> messages, ChatOptions? options, string step, string rowKey)
    {
        if (_answers is null) return false;
        using var command = _answers.Connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM entries WHERE key = $key";
        command.Parameters.AddWithValue("$key", AnswerKey(llm, messages, options, step, rowKey));
        return command.ExecuteScalar() is not null;
    }

    // The run's one key of a kept answer: the first call of a conversation (repeat 0), as recorded.
    private static string AnswerKey(IChatClient llm, IEnumerable<ChatMessage> messages, ChatOptions? options, string step, string rowKey) =>
        RunAnswers.Key(llm, messages, options, step, rowKey);

    /// <inheritdoc/>
    public void Dispose()
    {
        _store?.Dispose();
        _answers?.Dispose();
    }
}

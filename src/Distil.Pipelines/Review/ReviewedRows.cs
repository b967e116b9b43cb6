using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// A step's committed rows with the review's labels applied: what a reviewed dataset is made of. Each row gets its
/// corrections (the corrected columns take the reviewer's values) and three columns: <c>review_status</c>
/// (<c>accepted</c>, <c>rejected</c> or null), <c>review_note</c> (text or null) and <c>review_corrected</c> (the names of
/// the corrected columns, empty when none); <see cref="ReviewKeep"/> says which rows stay. Only reads: the run store and
/// the labels may be written meanwhile (by a run going on, by a view), and a read sees the rows committed and the
/// labels made when it began.
/// </summary>
/// <example>
/// <code>
/// // Every row the reviewer did not reject, with its corrections, as Parquet:
/// await ReviewedRows.ExportAsync("runs/qa", "answer", "reviewed.parquet", ReviewKeep.NotRejected);
/// // The same rows as a pipeline's source:
/// pipeline.Load(RowSources.Reviewed("runs/qa", "answer", ReviewKeep.Accepted), "reviewed").Then(...);
/// </code>
/// </example>
public static class ReviewedRows
{
    /// <summary>The column with the verdict: <c>accepted</c>, <c>rejected</c>, or null when not judged.</summary>
    public const string StatusColumn = "review_status";

    /// <summary>The column with the reviewer's note, or null.</summary>
    public const string NoteColumn = "review_note";

    /// <summary>The column with the names of the columns the reviewer corrected (a list, empty when none).</summary>
    public const string CorrectedColumn = "review_corrected";

    /// <summary>What every review column's name begins with; a correction may not name one.</summary>
    internal const string ColumnPrefix = "review_";

    /// <summary>
    /// The committed rows of <paramref name="step"/> (<see cref="RunDirectoryReader.ReadCommittedRowsAsync"/>), in commit
    /// order, with the corrections applied and the columns <c>review_status</c>, <c>review_note</c> and
    /// <c>review_corrected</c> added, filtered by <paramref name="keep"/>. Labels of rows the step no longer has (a step
    /// computed again under other keys) are left out.
    /// </summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="step">The step whose rows to read.</param>
    /// <param name="keep">Which rows stay, by their verdict.</param>
    /// <param name="ct">Stops the reading.</param>
    /// <exception cref="FileNotFoundException">The directory has no run store.</exception>
    /// <exception cref="ArgumentException">The run store has no step <paramref name="step"/>; the message names the steps it has.</exception>
    public static IAsyncEnumerable<JsonObject> ReadAsync(string runDirectory, string step, ReviewKeep keep = ReviewKeep.All, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(step);
        CheckKeep(keep);
        CheckStep(runDirectory, step);
        return ReadCheckedAsync(runDirectory, step, keep, ct);
    }

    /// <summary>
    /// Writes the reviewed rows of <paramref name="step"/> (<see cref="ReadAsync"/>) to <paramref name="path"/>, in the
    /// format its extension names (<see cref="RowFileFormats"/>: <c>.jsonl</c> built in, <c>.csv</c> with Distil.Csv,
    /// <c>.parquet</c> with Distil.Parquet); a path without an extension is a dataset folder in the Hugging Face layout
    /// (with Distil.Parquet). The file is written safely: a failed export keeps the previous file.
    /// </summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="step">The step whose rows to write; null for the run's last step (the one no other step reads from).</param>
    /// <param name="path">The file (or folder) to write.</param>
    /// <param name="keep">Which rows stay, by their verdict.</param>
    /// <param name="ct">Stops the export.</param>
    /// <returns>How many rows were written.</returns>
    /// <exception cref="ArgumentException">
    /// No registered format writes <paramref name="path"/> (the message names the package to add), or the step is unknown,
    /// or <paramref name="step"/> is null and the run has no single last step (the message names the candidates).
    /// </exception>
    /// <exception cref="FileNotFoundException">The directory has no run store.</exception>
    public static Task<long> ExportAsync(string runDirectory, string? step, string path, ReviewKeep keep = ReviewKeep.All, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return ExportAsync(runDirectory, step, SinkFor(path), keep, ct);
    }

    /// <summary>Writes the reviewed rows of <paramref name="step"/> (<see cref="ReadAsync"/>) to <paramref name="sink"/>.</summary>
    /// <param name="runDirectory">The run directory.</param>
    /// <param name="step">The step whose rows to write; null for the run's last step (the one no other step reads from).</param>
    /// <param name="sink">Where the rows go.</param>
    /// <param name="keep">Which rows stay, by their verdict.</param>
    /// <param name="ct">Stops the export.</param>
    /// <returns>How many rows were written.</returns>
    /// <exception cref="ArgumentException">The step is unknown, or <paramref name="step"/> is null and the run has no single last step.</exception>
    /// <exception cref="FileNotFoundException">The directory has no run store.</exception>
    public static async Task<long> ExportAsync(string runDirectory, string? step, IRowSink sink, ReviewKeep keep = ReviewKeep.All, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        ArgumentNullException.ThrowIfNull(sink);
        if (step is not null) ArgumentException.ThrowIfNullOrWhiteSpace(step);
        step ??= LastStep(runDirectory);
        var rows = ReadAsync(runDirectory, step, keep, ct);
        var written = 0L;
        await sink.WriteAsync(Counted(rows), new RowSinkContext { Pipeline = step }, ct).ConfigureAwait(false);
        return written;

        async IAsyncEnumerable<JsonObject> Counted(IAsyncEnumerable<JsonObject> all)
        {
            await foreach (var row in all.ConfigureAwait(false))
            {
                written++;
                yield return row;
            }
        }
    }

    /// <summary>
    /// The step a run ends with: the one stored step no other stored step reads from (write steps are not stored).
    /// </summary>
    /// <exception cref="FileNotFoundException">The directory has no run store.</exception>
    /// <exception cref="ArgumentException">The run has no step yet, or several end it; the message names them.</exception>
    public static string LastStep(string runDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        var steps = StepsOf(runDirectory);
        if (steps.Count == 0) throw new ArgumentException($"The run directory '{runDirectory}' has no committed step yet.", nameof(runDirectory));
        var read = steps.SelectMany(s => s.Parents).ToHashSet(StringComparer.Ordinal);
        var last = steps.Where(s => !read.Contains(s.Name)).Select(s => s.Name).ToList();
        return last.Count == 1
            ? last[0]
            : throw new ArgumentException(
                $"The run in '{runDirectory}' ends in several steps ({string.Join(", ", last)}); name the step whose rows to export.", nameof(runDirectory));
    }

    /// <summary>Whether <paramref name="keep"/> keeps a row with <paramref name="verdict"/>.</summary>
    public static bool Keeps(this ReviewKeep keep, ReviewVerdict? verdict) => keep switch
    {
        ReviewKeep.All => true,
        ReviewKeep.Reviewed => verdict is not null,
        ReviewKeep.Accepted => verdict == ReviewVerdict.Accepted,
        ReviewKeep.NotRejected => verdict != ReviewVerdict.Rejected,
        _ => throw new ArgumentOutOfRangeException(nameof(keep), keep, "Keep is All, Reviewed, Accepted or NotRejected."),
    };

    /// <summary>
    /// <paramref name="row"/> as the review has it: a copy with <paramref name="label"/>'s corrections applied and the
    /// review columns added (null, null and an empty list for a row without a label).
    /// </summary>
    public static JsonObject Apply(JsonObject row, ReviewLabel? label)
    {
        ArgumentNullException.ThrowIfNull(row);
        var reviewed = row.DeepClone().AsObject();
        var corrected = new JsonArray();
        if (label?.Corrections is { } corrections)
        {
            foreach (var (column, value) in corrections)
            {
                reviewed[column] = value?.DeepClone();
                corrected.Add((JsonNode)JsonValue.Create(column));
            }
        }
        // Rule: the review's columns replace any of the same name the row has (rows reviewed before, loaded again).
        reviewed[StatusColumn] = RunReview.VerdictText(label?.Verdict);
        reviewed[NoteColumn] = label?.Note;
        reviewed[CorrectedColumn] = corrected;
        return reviewed;
    }

    /// <summary>Parses a keep as pipeline files and the command line write it: <c>all</c>, <c>reviewed</c>, <c>accepted</c>, <c>not_rejected</c> (any case; <c>not-rejected</c> too).</summary>
    /// <exception cref="ArgumentException">Not one of those; the message lists them.</exception>
    public static ReviewKeep ParseKeep(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().Replace('-', '_').ToLowerInvariant() switch
        {
            "all" => ReviewKeep.All,
            "reviewed" => ReviewKeep.Reviewed,
            "accepted" => ReviewKeep.Accepted,
            "not_rejected" => ReviewKeep.NotRejected,
            _ => throw new ArgumentException($"keep is all, reviewed, accepted or not_rejected, not '{text}'.", nameof(text)),
        };
    }

    private static async IAsyncEnumerable<JsonObject> ReadCheckedAsync(string runDirectory, string step, ReviewKeep keep, [EnumeratorCancellation] CancellationToken ct)
    {
        // The labels first, whole (people make thousands, not millions); then the rows stream by with constant memory.
        var labels = RunReview.Read(runDirectory, step);
        await foreach (var committed in RunDirectoryReader.ReadCommittedRowsAsync(runDirectory, step, cancellationToken: ct).ConfigureAwait(false))
        {
            var label = labels.GetValueOrDefault(committed.Key);
            if (keep.Keeps(label?.Verdict)) yield return Apply(committed.Row, label);
        }
    }

    private static IRowSink SinkFor(string path)
    {
        if (Path.GetExtension(Path.TrimEndingDirectorySeparator(path)).Length > 0) return RowFileFormats.Of(path).OpenSink(path);
        return RowFileFormats.All.Select(f => f.OpenFolderSink(path)).FirstOrDefault(s => s is not null)
            ?? throw new ArgumentException(
                $"Writing the dataset folder '{path}' (the Hugging Face layout; a path without an extension) needs the Distil.Parquet package: " +
                "add a reference to Distil.Parquet (dotnet add package Distil.Parquet), or give a file path such as reviewed.jsonl.", nameof(path));
    }

    private static void CheckStep(string runDirectory, string step)
    {
        var steps = StepsOf(runDirectory);
        if (steps.Any(s => s.Name == step)) return;
        var names = steps.Select(s => s.Name).ToList();
        var hint = names.Count == 0 ? "it has no committed step yet" : $"its steps are {string.Join(", ", names)}";
        throw new ArgumentException($"The run directory '{runDirectory}' has no step '{step}'; {hint}.", nameof(step));
    }

    private static IReadOnlyList<CommittedStep> StepsOf(string runDirectory)
    {
        if (!RunDirectoryReader.HasStore(runDirectory))
        {
            var store = Path.Combine(runDirectory, RunDirectoryReader.StoreFileName);
            throw new FileNotFoundException($"'{runDirectory}' has no run store ({RunDirectoryReader.StoreFileName}).", store);
        }
        return RunDirectoryReader.ReadSteps(runDirectory);
    }

    private static void CheckKeep(ReviewKeep keep)
    {
        if (!Enum.IsDefined(keep)) throw new ArgumentOutOfRangeException(nameof(keep), keep, "Keep is All, Reviewed, Accepted or NotRejected.");
    }
}

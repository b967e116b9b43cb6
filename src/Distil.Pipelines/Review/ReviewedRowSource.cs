using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// A pipeline source of reviewed rows (<see cref="ReviewedRows.ReadAsync"/>): a step's committed rows in another run
/// directory, with the reviewer's corrections applied, the <c>review_*</c> columns added and the rows
/// <see cref="Keep"/> leaves out dropped. Made by <see cref="RowSources.Reviewed"/> or a pipeline file's
/// <c>"load": {"reviewed": "runs/qa", "step": "answer", "keep": "accepted"}</c>.
/// </summary>
public sealed class ReviewedRowSource : IRowSource
{
    /// <summary>Reads the reviewed rows of <paramref name="step"/> in <paramref name="runDirectory"/>.</summary>
    /// <param name="runDirectory">The run directory whose rows were reviewed.</param>
    /// <param name="step">The step whose rows to read; null for the run's last step (<see cref="ReviewedRows.LastStep"/>), found when the rows are read.</param>
    /// <param name="keep">Which rows stay, by their verdict.</param>
    public ReviewedRowSource(string runDirectory, string? step = null, ReviewKeep keep = ReviewKeep.All)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runDirectory);
        if (step is not null) ArgumentException.ThrowIfNullOrWhiteSpace(step);
        if (!Enum.IsDefined(keep)) throw new ArgumentOutOfRangeException(nameof(keep), keep, "Keep is All, Reviewed, Accepted or NotRejected.");
        RunDirectory = Path.GetFullPath(runDirectory);
        Step = step;
        Keep = keep;
    }

    /// <summary>The run directory's full path.</summary>
    public string RunDirectory { get; }

    /// <summary>The step whose rows are read, or null for the run's last step.</summary>
    public string? Step { get; }

    /// <summary>Which rows stay.</summary>
    public ReviewKeep Keep { get; }

    /// <summary>
    /// The run directory, step and keep, with what the rows and labels are now (how many committed, the last commit, a
    /// digest of the labels): a new commit or a changed label changes it, so a pipeline that loads reviewed rows sees
    /// that its source changed, as a file source does when the file changes.
    /// </summary>
    /// <exception cref="FileNotFoundException">The directory has no run store.</exception>
    /// <exception cref="ArgumentException">The step is unknown.</exception>
    public string Describe()
    {
        var step = StepName();
        var committed = RunDirectoryReader.ReadSteps(RunDirectory).FirstOrDefault(s => s.Name == step)
            ?? throw new ArgumentException($"The run directory '{RunDirectory}' has no step '{step}'.");
        var labels = RunReview.Read(RunDirectory, step);
        return $"reviewed rows of step '{step}' in {RunDirectory} (keep {Keep}; {committed.InputRows} inputs committed, " +
            $"last commit {RunDirectoryReader.LastSequence(RunDirectory, step)}; {labels.Count} labels, digest {Digest(labels)})";
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<JsonObject> ReadAsync(CancellationToken cancellationToken) =>
        ReviewedRows.ReadAsync(RunDirectory, StepName(), Keep, cancellationToken);

    /// <summary>Not known without reading every row (the labels filter them): null.</summary>
    public ValueTask<long?> CountAsync(CancellationToken cancellationToken) => ValueTask.FromResult<long?>(null);

    private string StepName() => Step ?? ReviewedRows.LastStep(RunDirectory);

    // What the labels say, in a few characters: any change of a verdict, correction or note changes it.
    private static string Digest(IReadOnlyDictionary<string, ReviewLabel> labels)
    {
        var text = new StringBuilder();
        foreach (var (key, label) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append('\u001f').Append(RunReview.VerdictText(label.Verdict)).Append('\u001f')
                .Append(label.Corrections?.ToJsonString()).Append('\u001f').Append(label.Note).Append('\u001e');
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16].ToLowerInvariant();
    }
}

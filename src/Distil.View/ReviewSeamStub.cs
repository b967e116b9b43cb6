// TEMPORARY: stands in for B2's seam (branch review) until it is merged. Delete on merge.
using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

public enum ReviewVerdict { Accepted, Rejected }

public sealed record ReviewLabel(string Step, string RowKey, ReviewVerdict? Verdict, JsonObject? Corrections, string? Note, DateTimeOffset UpdatedAt);

public sealed class RunReview : IDisposable
{
    public const string FileName = "review.db";
    private static readonly ConcurrentDictionary<(string, string), ReviewLabel> Labels = new();

    public static RunReview Open(string runDirectory) => new();

    public ReviewLabel SetVerdict(string step, string rowKey, ReviewVerdict? verdict) => Labels[(step, rowKey)] = (Get(step, rowKey) ?? New(step, rowKey)) with { Verdict = verdict };

    public ReviewLabel Correct(string step, string rowKey, string column, JsonNode? value)
    {
        var label = Get(step, rowKey) ?? New(step, rowKey);
        var corrections = (JsonObject?)label.Corrections?.DeepClone() ?? new JsonObject();
        corrections[column] = value;
        return Labels[(step, rowKey)] = label with { Corrections = corrections };
    }

    public ReviewLabel ClearCorrection(string step, string rowKey, string column) => Get(step, rowKey) ?? New(step, rowKey);

    public ReviewLabel SetNote(string step, string rowKey, string? note) => Labels[(step, rowKey)] = (Get(step, rowKey) ?? New(step, rowKey)) with { Note = note };

    public ReviewLabel? Get(string step, string rowKey) => Labels.GetValueOrDefault((step, rowKey));

    private static ReviewLabel New(string step, string key) => new(step, key, null, null, null, DateTimeOffset.UtcNow);

    public void Dispose() { }
}

public enum ReviewKeep { All, Reviewed, Accepted, NotRejected }

public static class ReviewedRows
{
    public static Task<long> ExportAsync(string runDirectory, string? step, string path, ReviewKeep keep = ReviewKeep.All, CancellationToken ct = default) => throw new NotImplementedException();
}

using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// One row's labels, as a reviewer left them in a run directory's <see cref="RunReview"/>: a verdict, corrected output
/// columns and a note. A row is named by its step and its key (<see cref="CommittedRow.Key"/>).
/// </summary>
/// <param name="Step">The step whose row it is.</param>
/// <param name="RowKey">The row's key within the step (<see cref="CommittedRow.Key"/>: <c>12</c>, <c>12.1</c>).</param>
/// <param name="Verdict">Accepted, rejected, or null when not judged.</param>
/// <param name="Corrections">Corrected columns, by name, each with its corrected value (any JSON, null included); null when none.</param>
/// <param name="Note">The reviewer's note, or null.</param>
/// <param name="UpdatedAt">When the label last changed.</param>
public sealed record ReviewLabel(string Step, string RowKey, ReviewVerdict? Verdict, JsonObject? Corrections, string? Note, DateTimeOffset UpdatedAt)
{
    /// <summary>Whether the label says nothing: no verdict, no correction, no note (a label cleared of everything).</summary>
    public bool IsEmpty => Verdict is null && (Corrections is null or { Count: 0 }) && Note is null;
}

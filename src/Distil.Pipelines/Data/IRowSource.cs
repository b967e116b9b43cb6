using Microsoft.Extensions.AI;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// Where a pipeline's rows come from: a file or rows in memory. Implement it to load rows from
/// anywhere else; <see cref="RowSources"/> has the built-in ones.
/// </summary>
public interface IRowSource
{
    /// <summary>
    /// What the source is, for messages and for the run's signature: a file source names its full
    /// path, size and last write time, so that changing the file recomputes the run.
    /// </summary>
    string Describe();

    /// <summary>The rows, in order. A row that cannot be read throws an error naming where it is.</summary>
    IAsyncEnumerable<JsonObject> ReadAsync(CancellationToken cancellationToken);

    /// <summary>How many rows there are, if cheap to know (for progress); null otherwise.</summary>
    ValueTask<long?> CountAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The columns of the rows, with their types, for validation and typed files: by default from a
    /// scan of every row (types widened across all of them, so a column null for the first
    /// thousands of rows still gets its type); null when there are no rows. A source whose format
    /// carries a schema may return it instead.
    /// </summary>
    ValueTask<RowSchema?> SchemaAsync(CancellationToken cancellationToken) =>
        SchemaWidening.InferAsync(ReadAsync(cancellationToken), cancellationToken);
}

/// <summary>
/// Where a pipeline writes a dataset. Implement
/// <see cref="WriteAsync(IAsyncEnumerable{JsonObject}, RowSinkContext, CancellationToken)"/>: it gets every row of a
/// complete run with what the pipeline knows of them, and should write to a temporary file and move it into place at
/// the end, so that a stopped run never leaves a half-written dataset where a finished one is expected. A sink of one
/// file gets that for free by deriving from <see cref="FileRowSink"/>.
/// </summary>
public interface IRowSink
{
    /// <summary>What the sink writes to, for messages.</summary>
    string Describe();

    /// <summary>
    /// Writes every row, given what the pipeline knows of them: their columns and types, and the
    /// pipeline that made them. Typed formats (Parquet) write the schema instead of guessing from
    /// the rows, the Hugging Face layout describes the pipeline in its dataset card. If the enumeration
    /// throws, the previous file (if any) stays as it was.
    /// </summary>
    Task WriteAsync(IAsyncEnumerable<JsonObject> rows, RowSinkContext context, CancellationToken cancellationToken);

    /// <summary>Writes all of <paramref name="rows"/> without a context (no schema, no pipeline); the default passes an empty one.</summary>
    Task WriteAsync(IAsyncEnumerable<JsonObject> rows, CancellationToken cancellationToken) =>
        WriteAsync(rows, new RowSinkContext(), cancellationToken);
}

/// <summary>What a pipeline tells the sink at its end about the rows it writes.</summary>
public sealed class RowSinkContext
{
    /// <summary>The rows' columns and types, when known.</summary>
    public RowSchema? Schema { get; init; }

    /// <summary>The pipeline's name.</summary>
    public string? Pipeline { get; init; }

    /// <summary>
    /// The steps that lead to the sink, in run order, with what each did; read once the rows are
    /// all written (the counts are then final). Empty outside a pipeline.
    /// </summary>
    public Func<IReadOnlyList<StepSummary>> Steps { get; init; } = static () => [];
}

/// <summary>One step of the pipeline that made a dataset, for dataset cards and descriptions.</summary>
/// <param name="Name">The step's name.</param>
/// <param name="Kind">What it is: <c>load</c>, <c>task</c>, <c>keep_columns</c>…</param>
/// <param name="Parents">The steps it reads from.</param>
/// <param name="Task">For a task step, the task's type name.</param>
/// <param name="Model">For a task step, the provider and model its client names (no endpoint, no key).</param>
/// <param name="RowsIn">Rows it read in this run (replayed ones included).</param>
/// <param name="RowsOut">Rows it passed on.</param>
public sealed record StepSummary(string Name, string Kind, IReadOnlyList<string> Parents, string? Task, string? Model, long RowsIn, long RowsOut)
{
    /// <summary>For a task step, the column its metadata goes in (<c>distilabel_metadata</c> unless set otherwise).</summary>
    public string? MetadataColumn { get; init; }

    /// <summary>
    /// For a task step, the settings that shape its answers and the generation options it sends,
    /// by name (<c>aspect</c>, <c>temperature</c>), with their values as JSON-like text; a setting
    /// whose name says it holds a secret (a key, a token, a password) is left out.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = [];

    /// <summary>
    /// For a task step, the messages it sends for a row, each input column shown as a placeholder
    /// (<c>&lt;PLACEHOLDER_INSTRUCTION&gt;</c>): the system prompt and the rendered template.
    /// </summary>
    public IReadOnlyList<ChatMessage> Prompt { get; init; } = [];
}

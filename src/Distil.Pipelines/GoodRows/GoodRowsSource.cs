using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// Rows without columns for a generator task, as many as the current round asks for. Its
/// description leaves out the count and the target, so every round (and a later run with another
/// target) keeps the same step signatures: row i is the same draw in all of them.
/// </summary>
internal sealed class GoodRowsSource(GoodRows goal) : IRowSource
{
    public GoodRows Goal { get; } = goal;

    /// <summary>How many rows this round reads: rows 0 to <see cref="Rows"/> - 1.</summary>
    public long Rows { get; set; } = goal.Target;

    public string Describe() => "empty rows until enough are good";

    public async IAsyncEnumerable<JsonObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (long i = 0; i < Rows; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return [];
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public ValueTask<long?> CountAsync(CancellationToken cancellationToken) => ValueTask.FromResult<long?>(Rows);

    public ValueTask<RowSchema?> SchemaAsync(CancellationToken cancellationToken) => ValueTask.FromResult<RowSchema?>(RowSchema.Empty);
}

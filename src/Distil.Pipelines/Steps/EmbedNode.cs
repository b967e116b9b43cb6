using System.Text.Json.Nodes;
using Distil.Mapping;
using Microsoft.Extensions.AI;
using Polly;

namespace Distil.Pipelines;

/// <summary>Settings of an embedding step.</summary>
public sealed record EmbedOptions
{
    /// <summary>Texts per request (default 64).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Retries of a request that failed transiently (default 6).</summary>
    public int MaxRetries { get; init; } = 6;

    /// <summary>The first retry's delay; it doubles, with jitter (default 1 s).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Checks the values, naming the one that is wrong.</summary>
    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be 1 or more.");
        if (MaxRetries < 0) throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "MaxRetries must be 0 or more.");
        if (RetryDelay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RetryDelay), RetryDelay, "RetryDelay must not be negative.");
    }
}

/// <summary>
/// Adds an embedding column: the vector of one text column from any Microsoft.Extensions.AI
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, asked for in batches, retried on
/// transient faults like chat calls, and committed to the run store, so that a resumed run asks
/// for nothing it has. A row whose text is null gets a null vector. Rule: a vector is paid for once per
/// model and text: every vector is also kept in the run's answers (<c>answers.db</c>, see
/// <see cref="EmbeddingAnswers"/>), so a step computed again (its settings changed, an earlier step
/// changed some rows) asks only for texts the model has never embedded in this run directory.
/// </summary>
internal sealed class EmbedNode(string name, string column, IEmbeddingGenerator<string, Embedding<float>> generator, string output, EmbedOptions options)
    : PipelineStep(name)
{
    public override string Kind => "embed";

    public override IReadOnlyList<string> RequiredColumns => [column];

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => parents[0]?.With([new Column(output, ColumnType.ListOf(ColumnType.Number))]);

    public override string Settings() =>
        $"{column}|{output}|{(generator.GetService<EmbeddingGeneratorMetadata>() is { } m ? $"{m.ProviderName}|{m.DefaultModelId}|{m.DefaultModelDimensions}" : generator.GetType().Name)}";

    internal override async Task RunAsync(StepRun run)
    {
        var builder = new ResiliencePipelineBuilder();
        if (options.MaxRetries > 0) builder.AddRetry(TransientFaults.RetryOptions(options.MaxRetries, options.RetryDelay, TimeSpan.FromSeconds(60), static _ => default));
        var retry = builder.Build();
        using var answers = new EmbeddingAnswers(Path.GetDirectoryName(run.Store.Path)!, generator, run.Logger);
        var batchSize = options.BatchSize;
        var batch = new List<(KeyedRow Row, long Sequence)>();
        long sequence = 0;
        await foreach (var input in run.ReadAsync(cancellationToken: run.Cancellation).ConfigureAwait(false))
        {
            batch.Add((input, sequence++));
            if (batch.Count >= batchSize) await FlushAsync().ConfigureAwait(false);
        }
        await FlushAsync().ConfigureAwait(false);

        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            var stored = batch.Select(b => run.Replay(b.Row.Key)).ToList();
            var texts = batch.Where((b, i) => stored[i] is null).Select(b => JsonNodeRead.Text(b.Row.Row[column])).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            var vectors = await answers.FindAsync(texts, run.Cancellation).ConfigureAwait(false);
            var missing = texts.Where(t => !vectors.ContainsKey(t)).ToList();
            if (missing.Count > 0)
            {
                var embeddings = await retry.ExecuteAsync(async token => await generator.GenerateAsync(missing, cancellationToken: token).ConfigureAwait(false), run.Cancellation).ConfigureAwait(false);
                if (embeddings.Count != missing.Count) throw new InvalidOperationException($"The embedding generator returned {embeddings.Count} vectors for {missing.Count} texts.");
                for (var i = 0; i < missing.Count; i++) vectors[missing[i]] = embeddings[i].Vector.ToArray();
                await answers.KeepAsync(missing, vectors, run.Cancellation).ConfigureAwait(false);
            }
            for (var i = 0; i < batch.Count; i++)
            {
                if (stored[i] is { } replayed)
                {
                    await run.EmitAsync(replayed).ConfigureAwait(false);
                    continue;
                }
                var (row, seq) = batch[i];
                row.Row[output] = JsonNodeRead.Text(row.Row[column]) is { } text ? new JsonArray([.. vectors[text].Select(v => (JsonNode?)(double)v)]) : null;
                IReadOnlyList<KeyedRow> outputs = [row];
                await run.SaveAsync(row.Key, seq, outputs).ConfigureAwait(false);
                await run.EmitAsync(outputs).ConfigureAwait(false);
            }
            batch.Clear();
        }
    }
}

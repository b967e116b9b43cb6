using System.Text.Json.Nodes;
using Distil.MiniLM;
using Distil.Pipelines;
using Distil.Tests.Support;
using Distil.USearch;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// The default embedding generator (all-MiniLM-L6-v2 from Distil.MiniLM, which this project references through
/// Distil.Cli and directly): semantic deduplication with it drops planted paraphrases and keeps unrelated
/// sentences, in C# and through the real distil process; its vectors are kept in the run's answers.
/// </summary>
[NonParallelizable]
public class DefaultEmbeddingTests
{
    // Ten paraphrase pairs (MiniLM rates each pair 0.83 to 0.98) and ten sentences on unrelated things
    // (at most 0.29 with any other sentence here): a threshold of 0.75 sits well between the two.
    private static readonly (string First, string Paraphrase)[] Paraphrases =
    [
        ("How do I reset my password?", "What are the steps to reset my password?"),
        ("A cat is sleeping on the sofa.", "A cat sleeps on the couch."),
        ("Write a poem about the ocean.", "Compose a poem about the sea."),
        ("What is the capital of France?", "Which city is the capital of France?"),
        ("Explain how photosynthesis works.", "Describe how photosynthesis works."),
        ("The train to Berlin was delayed by two hours.", "The Berlin train arrived two hours late."),
        ("Give me a recipe for chocolate chip cookies.", "I'd like a recipe for chocolate chip cookies."),
        ("How many legs does a spider have?", "How many legs do spiders have?"),
        ("Translate 'good morning' into Spanish.", "How do you say 'good morning' in Spanish?"),
        ("List three benefits of regular exercise.", "Name three benefits of exercising regularly."),
    ];

    private static readonly string[] Unrelated =
    [
        "The stock market fell sharply today.",
        "Sort a list of integers in Python.",
        "Volcanoes form where tectonic plates meet.",
        "My grandmother grows tomatoes in her garden.",
        "The invoice is due at the end of the month.",
        "Jupiter is the largest planet in the solar system.",
        "Tune the guitar's low E string.",
        "The museum opens at nine on Sundays.",
        "Quantum computers use qubits instead of bits.",
        "Replace the bicycle's flat tyre.",
    ];

    private const double Threshold = 0.75;

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-minilm-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    // The first sentences of the pairs, the unrelated ones, then the paraphrases: each paraphrase comes after its original.
    private static List<JsonObject> Rows() =>
        Paraphrases.Select(p => p.First).Concat(Unrelated).Concat(Paraphrases.Select(p => p.Paraphrase))
            .Select((text, i) => new JsonObject { ["id"] = i, ["text"] = text }).ToList();

    private static IEnumerable<string> Kept => Paraphrases.Select(p => p.First).Concat(Unrelated);

    [Test]
    public async Task Semantic_dedup_with_the_default_embeddings_drops_the_paraphrases_and_keeps_the_unrelated()
    {
        var pipeline = Pipeline.Create("minilm-dedup");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load(Rows())
            .Embed("text")
            .Deduplicate("text_embedding", new DedupOptions { Method = DedupMethod.Embedding, Threshold = Threshold, VectorIndex = HnswVectorIndex.Factory() })
            .KeepColumns("id", "text", "text_embedding");   // a stored step: the dataset is read from it

        var rows = await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();

        Assert.That(rows.Select(r => (string)r["text"]!), Is.EqualTo(Kept));
        Assert.That(rows.Select(r => r["text_embedding"]!.AsArray().Count), Has.All.EqualTo(MiniLMEmbeddingGenerator.Dimensions));
        var dropped = File.ReadAllLines(Path.Combine(_temp.Path, "run", "duplicates-dedup.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.That(dropped.Select(d => (string)d["duplicate_of"]!), Is.EqualTo(Enumerable.Range(0, Paraphrases.Length).Select(i => i.ToString())),
            "each paraphrase is named as a duplicate of its own original");
    }

    [Test]
    public async Task The_distil_command_deduplicates_by_the_default_embeddings_when_no_generator_is_named()
    {
        var work = _temp.Path;
        await File.WriteAllLinesAsync(Path.Combine(work, "sentences.jsonl"), Rows().Select(r => r.ToJsonString()));
        var file = Path.Combine(work, "dedup.json");
        await File.WriteAllTextAsync(file, $$"""
            {
              "name": "semantic-dedup",
              "run_dir": "run",
              "steps": [
                { "name": "sentences", "load": "sentences.jsonl" },
                { "name": "vectors", "embed": { "column": "text" }, "after": "sentences" },
                { "name": "unique", "dedup": { "column": "text_embedding", "method": "embedding", "threshold": {{Threshold}} }, "after": "vectors" },
                { "name": "keep", "keep_columns": ["id", "text"], "after": "unique" },
                { "name": "out", "write": "unique.jsonl", "after": "keep" }
              ]
            }
            """);

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", file);

        Assert.That(exitCode, Is.Zero, error);
        var kept = File.ReadAllLines(Path.Combine(work, "unique.jsonl")).Select(l => (string)JsonNode.Parse(l)!["text"]!);
        Assert.That(kept, Is.EqualTo(Kept));
        Assert.That(File.ReadAllLines(Path.Combine(work, "run", "duplicates-unique.jsonl")), Has.Length.EqualTo(Paraphrases.Length));
    }

    [Test]
    public async Task A_recomputed_embed_step_takes_every_vector_from_the_run_answers_and_asks_the_model_for_none()
    {
        var counting = new CountingGenerator(EmbeddingGenerators.Default);
        async Task<List<JsonObject>> RunAsync(string output)
        {
            var pipeline = Pipeline.Create("minilm-cache");
            pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
            pipeline.Load(Rows()).Embed("text", counting, output);
            return await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();
        }

        var first = await RunAsync("vector");
        Assert.That(counting.Texts, Is.EqualTo(Rows().Count));

        // Another output column: the step's signature changes, so it recomputes every row.
        var second = await RunAsync("embedding");

        Assert.That(counting.Texts, Is.EqualTo(Rows().Count), "the rerun embedded no text again");
        Assert.That(second.Select(r => r["embedding"]!.ToJsonString()), Is.EqualTo(first.Select(r => r["vector"]!.ToJsonString())));
    }

    [Test]
    public async Task The_default_is_one_shared_MiniLM_and_a_program_may_register_its_own()
    {
        var minilm = EmbeddingGenerators.Default;
        Assert.That(minilm, Is.InstanceOf<MiniLMEmbeddingGenerator>());
        Assert.That(EmbeddingGenerators.Default, Is.SameAs(minilm));
        var vectors = await minilm.GenerateAsync(["A cat sits on the mat.", "A kitten is sitting on a rug.", "The stock market fell sharply today."]);
        Assert.That(Cosine(vectors[0], vectors[1]), Is.GreaterThan(0.6));
        Assert.That(Cosine(vectors[0], vectors[2]), Is.LessThan(0.2));

        using var own = new CountingGenerator(minilm);
        try
        {
            Assert.That(EmbeddingGenerators.RegisterDefault(() => own, replaceExisting: false), Is.False, "a package's offer does not replace a registered default");
            Assert.That(EmbeddingGenerators.RegisterDefault(() => own), Is.True);
            Assert.That(EmbeddingGenerators.Default, Is.SameAs(own));
        }
        finally
        {
            EmbeddingGenerators.RegisterDefault(() => minilm);
        }
    }

    private static double Cosine(Embedding<float> a, Embedding<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        var x = a.Vector.Span;
        var y = b.Vector.Span;
        for (var i = 0; i < x.Length; i++) { dot += x[i] * y[i]; na += x[i] * x[i]; nb += y[i] * y[i]; }
        return dot / Math.Sqrt(na * nb);
    }

    // Counts the texts that reach the model; says it is the model it wraps (same metadata), as a cache would.
    private sealed class CountingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner) : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
    {
        private int _texts;

        public int Texts => Volatile.Read(ref _texts);

        public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var texts = values.ToList();
            Interlocked.Add(ref _texts, texts.Count);
            return base.GenerateAsync(texts, options, cancellationToken);
        }

        // The shared default outlives this wrapper.
        protected override void Dispose(bool disposing) { }
    }
}

using System.Text.Json.Nodes;
using Distil.LlamaSharp;
using Distil.OpenAI;
using Distil.Pipelines;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>The embedding step through the fake server's /v1/embeddings and through the local model.</summary>
public class EmbedStepTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-embed-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private static IEnumerable<JsonObject> Texts(int count) =>
        Enumerable.Range(0, count).Select(i => new JsonObject { ["id"] = i, ["text"] = i == 3 ? null : $"the quick brown fox number {i}" });

    private Pipeline Build(Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>> generator, int rows)
    {
        var pipeline = Pipeline.Create("embed");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load(Texts(rows)).Embed("text", generator, options: new EmbedOptions { BatchSize = 8, RetryDelay = TimeSpan.FromMilliseconds(5) });
        return pipeline;
    }

    [Test]
    public async Task Vectors_come_in_batches_a_failed_request_is_retried_and_a_rerun_asks_for_nothing()
    {
        using var generator = (Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>)
            OpenAIProviders.CreateEmbeddingGenerator($"endpoint:{Server.BaseUrl}#fake-embedding");
        Server.EmbeddingFailures = 1;

        var result = await Build(generator, rows: 20).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        var rows = await result.Dataset.ToListAsync();
        Assert.That(Server.EmbeddingRequestCount, Is.EqualTo(4), "three batches of at most 8 texts, and one retry");
        Assert.That(Server.EmbeddedTexts, Is.EqualTo(19), "the row without text is not sent");
        Assert.That(rows[3]["text_embedding"], Is.Null);
        Assert.That(rows[5]["text_embedding"]!.AsArray().Select(v => (float)(double)v!), Is.EqualTo(FakeOpenAIServer.Embedding("the quick brown fox number 5")).Within(1e-6));
        Assert.That((await Build(generator, 20).ValidateAsync()).ToString(), Does.Contain("text_embedding: list<double>"));

        var again = await Build(generator, rows: 20).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        Assert.That(Server.EmbeddedTexts, Is.EqualTo(19), "the rerun took every vector from the run store");
        Assert.That((await again.Dataset.ToListAsync()).Select(r => r.ToJsonString()), Is.EqualTo(rows.Select(r => r.ToJsonString())));
    }

    [Test]
    public async Task Vectors_are_cached_across_run_directories_through_the_response_cache()
    {
        using var cache = ResponseCache.Open(Path.Combine(_temp.Path, "cache", "responses.db"));
        using var generator = OpenAIProviders.CreateEmbeddingGenerator($"endpoint:{Server.BaseUrl}#fake-embedding").AsBuilder()
            .UseDistributedCache(cache)
            .Build();
        async Task<List<JsonObject>> RunAsync(string run)
        {
            var pipeline = Pipeline.Create("embed-cached");
            pipeline.RunDirectory = Path.Combine(_temp.Path, run);
            pipeline.Load(Texts(10)).Embed("text", generator);
            return await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();
        }

        var first = await RunAsync("one");
        var asked = Server.EmbeddedTexts;
        var second = await RunAsync("two");

        Assert.That(asked, Is.EqualTo(9));
        Assert.That(Server.EmbeddedTexts, Is.EqualTo(asked), "a fresh run directory, every vector from the cache");
        Assert.That(second.Select(r => r.ToJsonString()), Is.EqualTo(first.Select(r => r.ToJsonString())));
    }

    [Test]
    public async Task The_local_model_embeds_too()
    {
        using var generator = LocalModelsRegistration.CreateEmbeddingGenerator($"local:{TestModel.Path}?context=256");

        var rows = await (await Build(generator, rows: 5).RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();

        Assert.That(rows.Where(r => r["text"] is not null).Select(r => r["text_embedding"]!.AsArray().Count), Has.All.EqualTo(generator.Dimensions));
    }
}

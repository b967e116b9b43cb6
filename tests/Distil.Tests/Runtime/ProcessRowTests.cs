using System.Text.Json.Nodes;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using NUnit.Framework;

namespace Distil.Tests.Runtime;

/// <summary>
/// <see cref="LlmTask.ProcessRowAsync"/>: one row through the pipeline's row path with a client of
/// the caller's choosing; a failed call is in the metadata, as in a pipeline, not an exception.
/// </summary>
public class ProcessRowTests : FakeServerTests
{
    [Test]
    public async Task One_row_runs_with_the_given_client_and_gives_a_row_per_generation_with_metadata()
    {
        Server.Reply = _ => new FakeReply.Answer("Blue.");
        var task = new TextGeneration { NumGenerations = 2 };
        var llm = FakeServerClients.Factory(Server).Create("openai:fake-other");
        var row = new JsonObject { ["instruction"] = "Name a colour." };

        var outputs = await task.ProcessRowAsync(row, llm);

        Assert.That(outputs.Select(o => (string?)o["generation"]), Is.EqualTo(new[] { "Blue.", "Blue." }));
        Assert.That(outputs.Select(o => (string?)o["model_name"]), Is.EqualTo(new[] { "fake-other", "fake-other" }));
        Assert.That((string?)outputs[0][task.MetadataColumn]!["raw_output_" + task.Name], Is.EqualTo("Blue."));
        Assert.That(row.Select(c => c.Key), Is.EqualTo(new[] { "instruction" }), "the input row is not changed");
        Assert.That(Server.Requests, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task A_failed_call_is_a_null_output_with_its_error_in_the_metadata()
    {
        Server.Reply = _ => new FakeReply.ServerError(400);
        var task = new TextGeneration();

        var output = (await task.ProcessRowAsync(new JsonObject { ["instruction"] = "Name a colour." }, FakeServerClients.OpenAI(Server))).Single();

        Assert.That(output["generation"], Is.Null);
        Assert.That((string?)output[task.MetadataColumn]!["error_" + task.Name], Is.Not.Null.And.Not.Empty);
    }

    [Test]
    public void Without_a_client_it_names_what_to_set()
    {
        var error = Assert.ThrowsAsync<InvalidOperationException>(() => new TextGeneration().ProcessRowAsync(new JsonObject { ["instruction"] = "x" }));
        Assert.That(error!.Message, Does.Contain("Task 'text_generation' has no LLM").And.Contain("Llm"));
    }
}

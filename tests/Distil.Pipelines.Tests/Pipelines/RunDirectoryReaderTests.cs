using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// The read seam of a run directory for tools that show a run (a live view): the steps with their kinds and parents,
/// and the committed rows with their keys and commit sequence, read incrementally after a sequence.
/// </summary>
public class RunDirectoryReaderTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateRunFolder() => _temp = new TempFolder("distil-reader-");

    [TearDown]
    public void DeleteRunFolder() => _temp.Dispose();

    private async Task<string> RunAsync(int count)
    {
        var llm = new ScriptedChatClient().Otherwise(request => ScriptedChatClient.Answer("an answer to " + request.UserText, 10, 5));
        var pipeline = Pipeline.Create("reading");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load(Enumerable.Range(0, count).Select(i => new JsonObject { ["instruction"] = $"question {i}?" }), "questions")
            .Then(new TextGeneration { Name = "answer", Llm = llm, NumGenerations = 2, GroupGenerations = false });
        await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        return pipeline.RunDirectory;
    }

    [Test]
    public async Task Steps_come_with_kind_parents_and_committed_inputs_and_rows_with_their_keys()
    {
        var directory = await RunAsync(3);

        var steps = RunDirectoryReader.ReadSteps(directory);
        var answer = steps.Single(s => s.Name == "answer");
        Assert.That(answer.Parents, Is.EqualTo(new[] { "questions" }));
        Assert.That(answer.InputRows, Is.EqualTo(3));
        Assert.That(answer.Kind, Is.Not.Null.And.Not.Empty);

        var rows = await RunDirectoryReader.ReadCommittedRowsAsync(directory, "answer").ToListAsync();
        Assert.That(rows.Select(r => r.Key), Is.EquivalentTo(new[] { "0.0", "0.1", "1.0", "1.1", "2.0", "2.1" }), "two generations of each question, keyed by question and generation");
        Assert.That(rows.Where(r => r.Key.StartsWith("1.", StringComparison.Ordinal)).Select(r => (string?)r.Row["instruction"]), Has.All.EqualTo("question 1?"));
        Assert.That(rows.GroupBy(r => r.Sequence).Select(g => g.Count()), Has.All.EqualTo(2), "the generations of one input share its commit");
    }

    [Test]
    public async Task Reading_after_a_sequence_gives_only_later_commits()
    {
        var directory = await RunAsync(4);
        var all = await RunDirectoryReader.ReadCommittedRowsAsync(directory, "answer").ToListAsync();
        var middle = all.Select(r => r.Sequence).Distinct().Order().ElementAt(1);

        var later = await RunDirectoryReader.ReadCommittedRowsAsync(directory, "answer", afterSequence: middle).ToListAsync();

        Assert.That(later, Has.Count.EqualTo(4), "two commits of two rows each after the second");
        Assert.That(later.Select(r => r.Sequence), Has.All.GreaterThan(middle));
    }

    [Test]
    public void A_directory_without_a_store_has_no_steps_and_its_rows_are_an_error_naming_it()
    {
        Assert.That(RunDirectoryReader.ReadSteps(_temp.Path), Is.Empty);
        var error = Assert.ThrowsAsync<FileNotFoundException>(async () => await RunDirectoryReader.ReadCommittedRowsAsync(_temp.Path, "answer").ToListAsync());
        Assert.That(error!.Message, Does.Contain(_temp.Path));
    }
}

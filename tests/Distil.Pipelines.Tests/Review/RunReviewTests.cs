using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Support;
using Microsoft.Data.Sqlite;
using NUnit.Framework;

namespace Distil.Tests.Review;

/// <summary>
/// The label store of a run directory (review.db): durable as labels are made, shared by two views of one directory,
/// and safe beside a run writing its store in the same directory.
/// </summary>
public class RunReviewTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateRunFolder() => _temp = new TempFolder("distil-review-");

    [TearDown]
    public void DeleteRunFolder() => _temp.Dispose();

    private string RunDirectory => _temp.File("run");

    [Test]
    public void Labels_survive_closing_and_reopening_the_file()
    {
        using (var review = RunReview.Open(RunDirectory))
        {
            review.SetVerdict("answer", "3.1", ReviewVerdict.Rejected);
            review.Correct("answer", "0", "generation", "Paris.");
            review.Correct("answer", "0", "score", 4);
            review.SetNote("answer", "0", "named the wrong city");
            review.SetVerdict("other", "0", ReviewVerdict.Accepted);
        }

        using var reopened = RunReview.Open(RunDirectory);
        var rejected = reopened.Get("answer", "3.1")!;
        Assert.That(rejected.Verdict, Is.EqualTo(ReviewVerdict.Rejected));
        Assert.That(rejected.Corrections, Is.Null);
        var corrected = reopened.Get("answer", "0")!;
        Assert.That(corrected.Verdict, Is.Null);
        Assert.That(corrected.Corrections!.ToJsonString(), Is.EqualTo("""{"generation":"Paris.","score":4}"""));
        Assert.That(corrected.Note, Is.EqualTo("named the wrong city"));
        Assert.That(reopened.ReadStep("answer").Keys, Is.EquivalentTo(new[] { "0", "3.1" }), "the labels of one step only");
        Assert.That(RunReview.Read(RunDirectory, "other")["0"].Verdict, Is.EqualTo(ReviewVerdict.Accepted), "read without opening for writing");
    }

    [Test]
    public void Two_open_instances_see_each_others_labels_and_lose_no_correction()
    {
        using var first = RunReview.Open(RunDirectory);
        using var second = RunReview.Open(RunDirectory);

        first.SetVerdict("answer", "1", ReviewVerdict.Accepted);
        Assert.That(second.Get("answer", "1")?.Verdict, Is.EqualTo(ReviewVerdict.Accepted), "a view restarted while the old one is open sees its labels");

        // Each corrects another column of the same row: the second's change starts from the first's.
        first.Correct("answer", "1", "generation", "fixed");
        second.Correct("answer", "1", "title", "Fixed title");
        var label = first.Get("answer", "1")!;
        Assert.That(label.Corrections!.Select(c => c.Key), Is.EquivalentTo(new[] { "generation", "title" }));
        Assert.That(label.Verdict, Is.EqualTo(ReviewVerdict.Accepted));
        Assert.That(second.ReadStep("answer")["1"], Is.Not.Null);
    }

    [Test]
    public void Changes_from_many_threads_at_once_are_all_kept()
    {
        using var first = RunReview.Open(RunDirectory);
        using var second = RunReview.Open(RunDirectory);

        Parallel.For(0, 40, i => (i % 2 == 0 ? first : second).Correct("answer", "7", $"column{i}", i));

        Assert.That(first.Get("answer", "7")!.Corrections!.Count, Is.EqualTo(40));
    }

    [Test]
    public void A_label_cleared_of_everything_is_gone()
    {
        using var review = RunReview.Open(RunDirectory);
        review.SetVerdict("answer", "2", ReviewVerdict.Rejected);
        review.Correct("answer", "2", "generation", null);
        Assert.That(review.Get("answer", "2")!.Corrections!.ContainsKey("generation"), Is.True, "a correction to null is a correction");
        review.SetNote("answer", "2", "empty answer");

        review.SetVerdict("answer", "2", null);
        var cleared = review.ClearCorrection("answer", "2", "generation");
        Assert.That(cleared.Corrections, Is.Null, "no correction left");
        Assert.That(review.Get("answer", "2"), Is.Not.Null, "the note is still there");
        review.SetNote("answer", "2", "");

        Assert.That(review.Get("answer", "2"), Is.Null);
        Assert.That(review.ReadStep("answer"), Is.Empty);
    }

    [Test]
    public void Changes_are_stamped_with_the_clock()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));
        using var review = RunReview.Open(RunDirectory, clock);
        review.SetVerdict("answer", "0", ReviewVerdict.Accepted);
        clock.Advance(TimeSpan.FromMinutes(5));
        var changed = review.SetNote("answer", "0", "good");

        Assert.That(changed.UpdatedAt, Is.EqualTo(new DateTimeOffset(2026, 12, 7, 9, 5, 0, TimeSpan.Zero)));
        Assert.That(RunReview.Read(RunDirectory, "answer")["0"].UpdatedAt, Is.EqualTo(changed.UpdatedAt));
    }

    [Test]
    public void Reading_a_directory_without_labels_creates_nothing()
    {
        Directory.CreateDirectory(RunDirectory);

        Assert.That(RunReview.Read(RunDirectory, "answer"), Is.Empty);
        Assert.That(File.Exists(Path.Combine(RunDirectory, RunReview.FileName)), Is.False);
    }

    [Test]
    public void A_review_column_cannot_be_corrected()
    {
        using var review = RunReview.Open(RunDirectory);
        var error = Assert.Throws<ArgumentException>(() => review.Correct("answer", "0", "review_status", "accepted"));
        Assert.That(error!.Message, Does.Contain("review_status"));
    }

    [Test]
    public void Another_programs_database_named_review_db_is_an_error_naming_it()
    {
        Directory.CreateDirectory(RunDirectory);
        var path = Path.Combine(RunDirectory, RunReview.FileName);
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE notes (text TEXT)";
            command.ExecuteNonQuery();
        }

        var error = Assert.Throws<PipelineException>(() => RunReview.Open(RunDirectory));
        Assert.That(error!.Message, Does.Contain(path).And.Contain("not a Distil review label file"));
    }

    [Test]
    public async Task Labels_are_made_while_a_run_writes_its_store_in_the_same_directory()
    {
        // The run answers two questions, then waits in the third call until the labels are made.
        using var labelled = new ManualResetEventSlim();
        var llm = new ScriptedChatClient().Otherwise(request =>
        {
            if (request.UserText.Contains("question 2", StringComparison.Ordinal) && !labelled.Wait(TimeSpan.FromSeconds(60)))
                throw new TimeoutException("the test never labelled the rows");
            return ScriptedChatClient.Answer("an answer to " + request.UserText, 10, 5);
        });
        var pipeline = Pipeline.Create("reviewed-while-running");
        pipeline.RunDirectory = RunDirectory;
        pipeline.Load(Enumerable.Range(0, 4).Select(i => new JsonObject { ["instruction"] = $"question {i}?" }), "questions")
            .Then(new TextGeneration { Name = "answer", Llm = llm, MaxConcurrency = 1 });
        using var review = RunReview.Open(RunDirectory);

        var run = Task.Run(() => pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None }));
        var committed = await WaitForRowsAsync(RunDirectory, "answer", 2, run);
        review.SetVerdict("answer", committed[0].Key, ReviewVerdict.Rejected);
        review.Correct("answer", committed[1].Key, "generation", "a better answer");
        labelled.Set();
        await run;

        Assert.That(await RunDirectoryReader.ReadCommittedRowsAsync(RunDirectory, "answer").CountAsync(), Is.EqualTo(4), "the run finished every row");
        var labels = RunReview.Read(RunDirectory, "answer");
        Assert.That(labels[committed[0].Key].Verdict, Is.EqualTo(ReviewVerdict.Rejected));
        Assert.That((string?)labels[committed[1].Key].Corrections!["generation"], Is.EqualTo("a better answer"));
    }

    private static async Task<List<CommittedRow>> WaitForRowsAsync(string runDirectory, string step, int count, Task run)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (run.IsFaulted) await run;
            if (RunDirectoryReader.HasStore(runDirectory) && RunDirectoryReader.ReadSteps(runDirectory).Any(s => s.Name == step))
            {
                var rows = await RunDirectoryReader.ReadCommittedRowsAsync(runDirectory, step).ToListAsync();
                if (rows.Count >= count) return rows;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"step '{step}' did not commit {count} rows in time");
        return [];
    }
}

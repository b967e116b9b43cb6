using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using Distil.View;
using NUnit.Framework;

namespace Distil.Tests.View;

/// <summary>
/// The view's index of a run directory (built from commit sequences beside the run store) and its API: statuses read
/// from the metadata, filters and sort over the index, a restarted view that reads only what is new, and an API that
/// answers only requests addressed to it.
/// </summary>
[NonParallelizable]
public class ViewIndexTests : FakeServerTests
{
    private const int Rows = 24;
    private static readonly Regex Item = new(@"item (\d+)\.", RegexOptions.Compiled);

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-view-index-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private string RunDirectory => Path.Combine(_temp.Path, "run");

    // Item 3's call fails; every other answer names its item.
    private async Task RunAsync(int rows = Rows)
    {
        Server.Reply = request => Item.Match(request.LastMessage) is { Success: true } match && match.Groups[1].Value == "3"
            ? new FakeReply.ServerError(503)
            : new FakeReply.Answer($"An answer about item {Item.Match(request.LastMessage).Groups[1].Value}");
        var factory = FakeServerClients.Factory(Server, resilience: FakeServerClients.FastRetries with { MaxRetries = 0 });
        var pipeline = Pipeline.Create("view-index-test");
        pipeline.RunDirectory = RunDirectory;
        pipeline.Load(Enumerable.Range(0, rows).Select(i => new JsonObject { ["n"] = i, ["instruction"] = $"Describe item {i}.", ["colour"] = i % 2 == 0 ? "red" : "blue" }))
            .Then(new TextGeneration { Llm = factory.Create("openai:fake-model"), MaxConcurrency = 4 });
        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        Assert.That(result.Completed);
    }

    [Test]
    public async Task The_index_flags_failed_rows_and_filters_sorts_and_searches_without_reading_the_store()
    {
        await RunAsync();
        using var index = ViewIndex.Open(RunDirectory);

        Assert.That(await index.CatchUpAsync(), Is.EqualTo(Rows));
        Assert.That(index.Steps().Single(s => s.Name == "text_generation").Rows, Is.EqualTo(Rows));

        var failed = index.Query("text_generation", new RowQuery { Flags = RowFlags.Failed });
        Assert.That(failed.Rows.Select(r => r.Key), Is.EqualTo(new[] { "3" }));
        Assert.That(failed.Total, Is.EqualTo(1));

        var red = index.Query("text_generation", new RowQuery { Equal = [("colour", "red")] });
        Assert.That(red.Total, Is.EqualTo(Rows / 2));
        var range = index.Query("text_generation", new RowQuery { Ranges = [("n", 5, 9)], Sort = "n", Descending = true });
        var n = range.Columns.ToList().FindIndex(c => c.Name == "n");
        Assert.That(range.Rows.Select(r => r.Cells[n]), Is.EqualTo(new object[] { 9L, 8L, 7L, 6L, 5L }));
        Assert.That(index.Query("text_generation", new RowQuery { Search = "answer item 17" }).Rows.Select(r => r.Key), Is.EqualTo(new[] { "17" }));
        Assert.That(index.Query("text_generation", new RowQuery { Search = "AND OR NEAR(" }).Total, Is.Zero, "words typed are words, never operators");
        Assert.That(() => index.Query("text_generation", new RowQuery { Equal = [("colur", "red")] }),
            Throws.ArgumentException.With.Message.Contains("no column 'colur'"));
        var page = index.Query("text_generation", new RowQuery { Offset = 20, Limit = 10 });
        Assert.That(page.Rows.Select(r => r.Key), Is.EqualTo(new[] { "20", "21", "22", "23" }));
    }

    [Test]
    public async Task A_restarted_view_reads_only_the_commits_after_the_last_it_indexed()
    {
        await RunAsync();
        using (var first = ViewIndex.Open(RunDirectory)) Assert.That(await first.CatchUpAsync(), Is.EqualTo(Rows));

        using var again = ViewIndex.Open(RunDirectory);
        Assert.That(await again.CatchUpAsync(), Is.Zero, "nothing new: the index resumes after its last sequence");
        Assert.That(again.Query("text_generation", new RowQuery()).Total, Is.EqualTo(Rows), "and keeps what it had");
    }

    [Test]
    public async Task The_api_answers_only_requests_addressed_to_it_and_saves_a_review_only_from_its_page()
    {
        await RunAsync();
        await using var view = await RunView.StartAsync(RunDirectory);
        await view.RefreshAsync();
        using var http = new HttpClient { BaseAddress = view.Address };

        var rows = JsonNode.Parse(await http.GetStringAsync("api/rows?step=text_generation&flags=failed"))!;
        Assert.That((long)rows["total"]!, Is.EqualTo(1));
        Assert.That(rows["rows"]![0]!["flags"]!.AsArray().Select(f => (string)f!), Is.EqualTo(new[] { "failed" }));

        // Another name for 127.0.0.1 (a site that points its own name here) is turned away.
        using (var rebound = new HttpRequestMessage(HttpMethod.Get, "api/run"))
        {
            rebound.Headers.Host = $"attacker.example:{view.Address.Port}";
            Assert.That((await http.SendAsync(rebound)).StatusCode, Is.EqualTo(HttpStatusCode.MisdirectedRequest));
        }

        // A form another site could post (no JSON, no view header) changes nothing.
        var form = await http.PostAsync("api/review", new StringContent("step=text_generation&key=5&action=verdict&verdict=rejected", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.That(form.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(RunReview.Read(RunDirectory, "text_generation"), Is.Empty);

        var body = new StringContent("""{"step": "text_generation", "key": "5", "action": "verdict", "verdict": "rejected"}""", Encoding.UTF8);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var review = new HttpRequestMessage(HttpMethod.Post, "api/review") { Content = body };
        review.Headers.Add("X-Distil-View", "1");
        var saved = await http.SendAsync(review);
        Assert.That(saved.StatusCode, Is.EqualTo(HttpStatusCode.OK), await saved.Content.ReadAsStringAsync());
        Assert.That(RunReview.Read(RunDirectory, "text_generation")["5"].Verdict, Is.EqualTo(ReviewVerdict.Rejected));

        var bad = await http.GetAsync("api/rows?step=text_generation&range=n=a..3");
        Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["error"], Does.Contain("'a' is not a number"));
    }
}

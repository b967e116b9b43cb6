using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Testing;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>A task reading the column a typed Map writes (for <see cref="TypedRowsTests"/>).</summary>
[Task("shout_clean")]
[UserPrompt("{{ clean_text }}")]
public sealed partial class ShoutCleanTask : LlmTask<ShoutCleanTask.Input, ShoutCleanTask.Output>
{
    public sealed record Input(string CleanText);

    public sealed record Output(string Line);
}

/// <summary>Typed Map and Filter over records, typed results, and rows mapped by generated code (or reflection, alike).</summary>
public class TypedRowsTests
{
    public enum Level { Easy, Hard }

    public sealed record Ticket(string Text, int Priority, Level Level, [CsvList("|")] IReadOnlyList<string> Tags, double? Score, string? Note = null, int Votes = 3);

    // The same shape under another name, only ever used through generic helpers: the generator does not see it.
    public sealed record UnseenTicket(string Text, int Priority, Level Level, [CsvList("|")] IReadOnlyList<string> Tags, double? Score, string? Note = null, int Votes = 3);

    public sealed record Cleaned(string CleanText, int Length);

    public sealed record Shouted(string Text, string CleanText, int Length, string Line);

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-typedrows-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private Pipeline Create(string name)
    {
        var pipeline = Pipeline.Create(name);
        pipeline.RunDirectory = Path.Combine(_temp.Path, name);
        return pipeline;
    }

    private static PipelineRunOptions Quiet => new() { Progress = ProgressMode.None };

    [Test]
    public async Task Typed_filter_map_task_and_typed_results_run_in_one_pipeline()
    {
        var llm = new ScriptedChatClient(r => ScriptedChatClient.Answer($$"""{"line": "{{r.UserText.ToUpperInvariant()}}!"}"""));
        var pipeline = Create("typed");
        pipeline.Load<Ticket>([new("  Tea Time ", 3, Level.Easy, ["a"], 0.5), new("skip me", 1, Level.Hard, [], null), new("Ink", 2, Level.Hard, ["b", "c"], null)])
            .Filter<Ticket>(t => t.Priority > 1, name: "urgent")
            .Map<Ticket, Cleaned>(t => new Cleaned(t.Text.Trim().ToLowerInvariant(), t.Text.Length), name: "clean")
            .Then(new ShoutCleanTask { Llm = llm })
            .Write(RowSinks.Jsonl(Path.Combine(_temp.Path, "out.jsonl")), name: "out");

        var result = await pipeline.RunAsync(Quiet);
        var shouted = await result.Datasets["out"].ToListAsync<Shouted>();

        Assert.That(shouted, Is.EqualTo(new[]
        {
            new Shouted("  Tea Time ", "tea time", 11, "TEA TIME!"),
            new Shouted("Ink", "ink", 3, "INK!"),
        }), "the filter dropped a row, the map added its columns and kept the others, the task read the map's column");
        var first = (await result.Datasets["out"].ToListAsync())[0];
        Assert.That(first.ContainsKey("priority") && first.ContainsKey("tags"), "the map keeps the row's other columns");
        Assert.That(RowMappers.IsGenerated<Ticket>() && RowMappers.IsGenerated<Cleaned>() && RowMappers.IsGenerated<Shouted>(), "mapped by generated code");
    }

    [Test]
    public void A_cell_of_the_wrong_type_stops_the_map_naming_the_step_the_row_and_the_column()
    {
        var pipeline = Create("bad");
        pipeline.Load([new JsonObject { ["text"] = "fine", ["priority"] = 1, ["level"] = "Easy", ["tags"] = new JsonArray(), ["score"] = null },
                new JsonObject { ["text"] = "bad", ["priority"] = "high", ["level"] = "Easy", ["tags"] = new JsonArray(), ["score"] = null }])
            .Map<Ticket, Cleaned>(t => new Cleaned(t.Text, t.Text.Length), name: "clean");

        var error = Assert.ThrowsAsync<PipelineException>(() => pipeline.RunAsync(Quiet))!;

        Assert.That(error.Message, Does.Contain("Step 'clean'").And.Contain("cannot be read as Ticket").And.Contain("at column 'priority': expected an integer but found the string \"high\""));
    }

    [Test]
    public async Task A_typed_result_read_names_the_row_and_the_column_that_do_not_fit()
    {
        var pipeline = Create("result");
        pipeline.Load([new JsonObject { ["clean_text"] = "a", ["length"] = 1 }, new JsonObject { ["clean_text"] = "b" }]).Filter(_ => true, name: "rows");
        var result = await pipeline.RunAsync(Quiet);

        var error = Assert.ThrowsAsync<PipelineException>(() => result.Datasets["rows"].ToListAsync<Cleaned>())!;

        Assert.That(error.Message, Is.EqualTo("Row 2 of step 'rows' cannot be read as Cleaned: column 'length' is missing"));
    }

    [Test]
    public async Task A_CSV_file_loads_through_the_generated_mapper_and_the_reflection_fallback_alike()
    {
        var file = Path.Combine(_temp.Path, "tickets.csv");
        File.WriteAllLines(file, [
            "text,priority,level,tags,score,note,votes",
            "Tea,3,hard,a|b,0.25,,",
            "\"Ink, blue\",1,Easy,,,later,7",
        ]);

        var generated = await RowsOf<Ticket>(RowSources.Csv(file), "generated");
        var reflected = await RowsOf<UnseenTicket>(RowSources.Csv(file), "reflected");

        Assert.That(RowMappers.IsGenerated<Ticket>(), Is.True);
        Assert.That(RowMappers.IsGenerated<UnseenTicket>(), Is.False, "the generator does not see a record named only through a type parameter");
        Assert.That(generated.Rows, Is.EqualTo(reflected.Rows), "both paths give the same rows");
        Assert.That(generated.Schema, Is.EqualTo(reflected.Schema.Replace("UnseenTicket", "Ticket")), "and the same columns");
        Assert.That(generated.Rows[0], Is.EqualTo("""{"text":"Tea","priority":3,"level":"Hard","tags":["a","b"],"score":0.25,"note":null}"""));
        Assert.That(generated.Records.Cast<Ticket>().Select(t => (t.Votes, t.Tags.Count)), Is.EqualTo(new[] { (3, 2), (7, 0) }), "a missing column takes its parameter's default");
        Assert.That(reflected.Records.Cast<UnseenTicket>().Select(t => (t.Votes, t.Tags.Count)), Is.EqualTo(new[] { (3, 2), (7, 0) }));
    }

    [Test]
    public async Task A_bad_CSV_cell_fails_alike_through_either_path()
    {
        var file = Path.Combine(_temp.Path, "tickets.csv");
        File.WriteAllLines(file, ["text,priority,level,tags,score", "Tea,3,Easy,a,0.5", "Ink,lots,Easy,b,"]);

        var generated = Assert.ThrowsAsync<PipelineException>(() => RowsOf<Ticket>(RowSources.Csv(file), "generated"))!;
        var reflected = Assert.ThrowsAsync<PipelineException>(() => RowsOf<UnseenTicket>(RowSources.Csv(file), "reflected"))!;

        Assert.That(generated.Message, Does.Contain("priority").And.Contain("'lots' is not a whole number (int)"));
        Assert.That(generated.Message, Is.EqualTo(reflected.Message.Replace("UnseenTicket", "Ticket")));
        await Task.CompletedTask;
    }

    [Test]
    public async Task Rows_of_the_wrong_type_fail_alike_through_either_path()
    {
        JsonObject Row() => new() { ["text"] = "x", ["priority"] = 1.5, ["level"] = "Easy", ["tags"] = new JsonArray(), ["score"] = null };

        var generated = Assert.ThrowsAsync<PipelineException>(() => ReadBack<Ticket>(Row(), "generated"))!;
        var reflected = Assert.ThrowsAsync<PipelineException>(() => ReadBack<UnseenTicket>(Row(), "reflected"))!;

        Assert.That(generated.Message, Does.Contain("at column 'priority': expected an integer but found 1.5"));
        Assert.That(generated.Message, Is.EqualTo(reflected.Message.Replace("UnseenTicket", "Ticket")));
        await Task.CompletedTask;
    }

    // Generic on purpose: called with UnseenTicket, the generator sees only T.
    private async Task<(List<string> Rows, string Schema, List<object> Records)> RowsOf<T>(IRowSource source, string name) where T : notnull
    {
        var pipeline = Create(name);
        pipeline.Load<T>(source).Filter(_ => true, name: "rows");
        var schema = (await pipeline.ValidateAsync()).ToString();
        var result = await pipeline.RunAsync(Quiet);
        var rows = (await result.Datasets["rows"].ToListAsync()).Select(r => r.ToJsonString()).ToList();
        var records = (await result.Datasets["rows"].ToListAsync<T>()).Cast<object>().ToList();
        return (rows, schema, records);
    }

    private async Task<List<T>> ReadBack<T>(JsonObject row, string name)
    {
        var pipeline = Create(name);
        pipeline.Load([row]).Filter(_ => true, name: "rows");
        var result = await pipeline.RunAsync(Quiet);
        return await result.Datasets["rows"].ToListAsync<T>();
    }
}

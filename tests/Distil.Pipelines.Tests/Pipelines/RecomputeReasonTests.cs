using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// Why a step recomputes: a pipeline is run, one thing is changed, and the rerun's
/// <see cref="PipelineResult.Recomputed"/> names the step, the change (with old and new values) and
/// the stored rows it drops; a step upstream that changed is named by the steps after it.
/// </summary>
public class RecomputeReasonTests
{
    private const int Rows = 4;

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateRunDirectory() => _temp = new TempFolder("distil-recompute-");

    [TearDown]
    public void DeleteRunDirectory()
    {
        SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }

    private static IEnumerable<JsonObject> Questions() =>
        Enumerable.Range(0, Rows).Select(i => new JsonObject { ["instruction"] = $"Question {i}?" });

    private static JsonObject Upper(JsonObject row)
    {
        row["instruction"] = row["instruction"]!.GetValue<string>().ToUpperInvariant();
        return row;
    }

    private static JsonObject Trimmed(JsonObject row)
    {
        row["instruction"] = row["instruction"]!.GetValue<string>().Trim().TrimEnd('?');
        return row;
    }

    // load -> clean (Map) -> answer (task) -> judge (task): what each test changes is an argument.
    private sealed record Shape(
        Func<JsonObject, JsonObject>? Clean = null, float? Temperature = 0.7f, string Model = "model-a", string Template = "{{ instruction }}",
        string? SystemPrompt = null, IChatClient? Client = null, IDictionary<string, object?>? Extra = null);

    private async Task<PipelineResult> RunAsync(Shape shape)
    {
        var llm = shape.Client ?? new ScriptedChatClient(r => ScriptedChatClient.Answer("answer to " + r.UserText), shape.Model);
        var options = new ChatOptions { Temperature = shape.Temperature };
        if (shape.Extra is not null) options.AdditionalProperties = new AdditionalPropertiesDictionary(shape.Extra);
        var pipeline = Pipeline.Create("recompute");
        pipeline.RunDirectory = _temp.Path;
        pipeline.Load(Questions(), "questions")
            .Map(shape.Clean ?? Upper, reads: ["instruction"], writes: ["instruction"], name: "clean")
            .Then(new TextGeneration { Name = "answer", Llm = llm, Template = shape.Template, SystemPrompt = shape.SystemPrompt, GenerationOptions = options })
            .Then(new TextGeneration { Name = "judge", Llm = llm, Template = "Judge: {{ generation }}" });
        return await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
    }

    private async Task<IReadOnlyList<StepRecompute>> RerunAsync(Shape first, Shape second)
    {
        var before = await RunAsync(first);
        Assert.That(before.Recomputed, Is.Empty, "a first run recomputes nothing");
        return (await RunAsync(second)).Recomputed;
    }

    [Test]
    public async Task A_rerun_with_nothing_changed_recomputes_nothing()
    {
        Assert.That(await RerunAsync(new Shape(), new Shape()), Is.Empty);
    }

    [Test]
    public async Task A_changed_generation_option_is_named_with_its_old_and_new_value_and_the_steps_after_name_it()
    {
        var recomputed = await RerunAsync(new Shape(Temperature: 0.7f), new Shape(Temperature: 0.2f));

        Assert.That(recomputed.Select(r => r.Step), Is.EqualTo(new[] { "answer", "judge" }), "clean keeps its rows");
        Assert.That(recomputed[0].Cause, Is.EqualTo(RecomputeCause.Settings));
        Assert.That(recomputed[0].Reason, Is.EqualTo("setting temperature changed (0.7 -> 0.2)"));
        Assert.That(recomputed[0].DroppedRows, Is.EqualTo(Rows));
        Assert.That(recomputed[0].Message, Is.EqualTo($"Step 'answer' recomputes: setting temperature changed (0.7 -> 0.2); {Rows} stored rows are dropped."));
        Assert.That(recomputed[1].Cause, Is.EqualTo(RecomputeCause.Upstream));
        Assert.That(recomputed[1].Reason, Is.EqualTo("upstream step 'answer' changed (setting temperature changed (0.7 -> 0.2))"));
    }

    [Test]
    public async Task A_changed_task_setting_is_named_with_its_values()
    {
        var recomputed = await RerunAsync(new Shape(SystemPrompt: "Be brief."), new Shape(SystemPrompt: "Be thorough."));

        Assert.That(recomputed[0].Step, Is.EqualTo("answer"));
        Assert.That(recomputed[0].Reason, Is.EqualTo("setting system_prompt changed (\"Be brief.\" -> \"Be thorough.\")"));
    }

    [Test]
    public async Task A_changed_template_is_named_as_the_prompt_template()
    {
        var recomputed = await RerunAsync(new Shape(), new Shape(Template: "Q: {{ instruction }}"));

        Assert.That(recomputed[0].Cause, Is.EqualTo(RecomputeCause.Prompt));
        Assert.That(recomputed[0].Reason, Is.EqualTo("its prompt template changed (\"{{ instruction }}\" -> \"Q: {{ instruction }}\")"));
    }

    [Test]
    public async Task A_changed_model_is_named_with_the_old_and_new_model()
    {
        var recomputed = await RerunAsync(new Shape(Model: "model-a"), new Shape(Model: "model-b"));

        Assert.That(recomputed.Select(r => r.Step), Is.EqualTo(new[] { "answer", "judge" }), "both tasks use the model");
        Assert.That(recomputed.Select(r => r.Cause), Is.All.EqualTo(RecomputeCause.Model));
        Assert.That(recomputed[1].Reason, Is.EqualTo("its model changed (model-a -> model-b)"), "judge's own change comes before its upstream one");
    }

    [Test]
    public async Task A_changed_map_body_is_its_code_and_every_step_after_it_names_it_as_the_upstream_step()
    {
        var recomputed = await RerunAsync(new Shape(Clean: Upper), new Shape(Clean: Trimmed));

        Assert.That(recomputed.Select(r => (r.Step, r.Cause, r.Reason)), Is.EqualTo(new[]
        {
            ("clean", RecomputeCause.Code, "its code changed"),
            ("answer", RecomputeCause.Upstream, "upstream step 'clean' changed (its code changed)"),
            // The nearest step that changed on its own, not 'answer', which only passes the change on.
            ("judge", RecomputeCause.Upstream, "upstream step 'clean' changed (its code changed)"),
        }));
        Assert.That(recomputed.Select(r => r.DroppedRows), Is.All.EqualTo(Rows));
    }

    [Test]
    public async Task A_store_from_before_the_parts_were_kept_is_upgraded_in_place_and_says_it_has_no_reason()
    {
        await RunAsync(new Shape());
        MakeOldStore();

        var recomputed = (await RunAsync(new Shape(Temperature: 0.2f))).Recomputed;
        var again = (await RunAsync(new Shape(Temperature: 0.3f))).Recomputed;

        Assert.That(recomputed[0].Step, Is.EqualTo("answer"));
        Assert.That(recomputed[0].Cause, Is.EqualTo(RecomputeCause.Unrecorded));
        Assert.That(recomputed[0].Reason, Is.EqualTo("the stored run is from an older version of Distil (no reason recorded)"));
        Assert.That(recomputed[0].DroppedRows, Is.EqualTo(Rows));
        Assert.That(again[0].Reason, Is.EqualTo("setting temperature changed (0.2 -> 0.3)"), "the upgraded store keeps the parts from then on");
    }

    [Test]
    public async Task An_old_store_with_an_unchanged_pipeline_replays_and_learns_the_parts()
    {
        await RunAsync(new Shape());
        MakeOldStore();

        var unchanged = (await RunAsync(new Shape())).Recomputed;
        var changed = (await RunAsync(new Shape(Temperature: 0.2f))).Recomputed;

        Assert.That(unchanged, Is.Empty);
        Assert.That(changed[0].Reason, Is.EqualTo("setting temperature changed (0.7 -> 0.2)"));
    }

    [Test]
    public async Task Secrets_in_options_and_urls_never_reach_the_store_and_a_changed_secret_is_named_without_its_value()
    {
        var first = new Shape(Client: new NamedClient("https://user:hunter2@llm.example.com/v1?api-key=sk-in-url"), Extra: new Dictionary<string, object?> { ["api_key"] = "sk-first" });
        var second = first with { Extra = new Dictionary<string, object?> { ["api_key"] = "sk-second" } };

        var recomputed = await RerunAsync(first, second);

        var stored = StoredSettings();
        Assert.That(stored, Does.Contain("https://llm.example.com/v1"), "the host and path are kept");
        foreach (var secret in new[] { "hunter2", "sk-in-url", "sk-first", "sk-second", "user:" }) Assert.That(stored, Does.Not.Contain(secret));
        Assert.That(recomputed[0].Reason, Does.StartWith("setting api_key changed ((hidden "));
        Assert.That(recomputed[0].Message, Does.Not.Contain("sk-"));
    }

    [Test]
    public async Task A_step_the_store_has_never_seen_is_not_a_recompute_but_the_step_after_it_says_it_comes_after_a_new_step()
    {
        await RunAsync(new Shape());
        var pipeline = Pipeline.Create("recompute");
        pipeline.RunDirectory = _temp.Path;
        var llm = new ScriptedChatClient(r => ScriptedChatClient.Answer("answer to " + r.UserText), "model-a");
        pipeline.Load(Questions(), "questions")
            .Map(Upper, reads: ["instruction"], writes: ["instruction"], name: "clean")
            .Filter(_ => true, name: "all")
            .Then(new TextGeneration { Name = "answer", Llm = llm, GenerationOptions = new ChatOptions { Temperature = 0.7f } })
            .Then(new TextGeneration { Name = "judge", Llm = llm, Template = "Judge: {{ generation }}" });

        var recomputed = (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Recomputed;

        Assert.That(recomputed.Select(r => (r.Step, r.Cause, r.Reason)), Is.EqualTo(new[]
        {
            ("answer", RecomputeCause.Inputs, "it now comes after the new step 'all'"),
            ("judge", RecomputeCause.Upstream, "upstream step 'answer' changed (it now comes after the new step 'all')"),
        }));
    }

    // What an older Distil wrote: a steps table with the step and its signature only.
    private void MakeOldStore()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_temp.Path, "distil-run.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE old_steps (step TEXT PRIMARY KEY, signature TEXT NOT NULL);
            INSERT INTO old_steps SELECT step, signature FROM steps;
            DROP TABLE steps;
            ALTER TABLE old_steps RENAME TO steps;
            """;
        command.ExecuteNonQuery();
    }

    private string StoredSettings()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_temp.Path, "distil-run.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(settings, '\n') FROM steps";
        return (string)command.ExecuteScalar()!;
    }

    // A client that names its endpoint with a user, a password and a key in the URL.
    private sealed class NamedClient(string uri) : IChatClient
    {
        private readonly ScriptedChatClient _inner = new(r => ScriptedChatClient.Answer("answer to " + r.UserText), "model-a");

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            _inner.GetResponseAsync(messages, options, cancellationToken);

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            _inner.GetStreamingResponseAsync(messages, options, cancellationToken);

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("example", new Uri(uri), "model-a") : _inner.GetService(serviceType, serviceKey);

        public void Dispose() => _inner.Dispose();
    }
}

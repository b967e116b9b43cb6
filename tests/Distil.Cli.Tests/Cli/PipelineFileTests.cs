using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Support;
using Json.Schema;
using Distil.Tests.Providers;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// Pipeline files through the real <c>distil</c> process: strict reading (an unknown key is an
/// error with its line, column and the key meant) and <c>--param step.name=value</c>, seen at the
/// fake server.
/// </summary>
public class PipelineFileTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder()
    {
        _temp = new TempFolder("distil-pipeline-file-");
        File.WriteAllLines(Path.Combine(_temp.Path, "questions.jsonl"), ["""{"instruction": "Why is the sky blue?"}""", """{"instruction": "What is rain?"}"""]);
    }

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    // Line 6 holds keys of the answer step (at column 7), line 7 the dedup step's options.
    private string File_(string answerKeys = "\"params\": { \"system_prompt\": \"Be brief.\", \"temperature\": 0.7 }", string dedup = "\"method\": \"exact\"")
    {
        var path = Path.Combine(_temp.Path, "pipeline.json");
        File.WriteAllText(path, $$"""
            {
              "name": "answers",
              "steps": [
                { "name": "questions", "load": "questions.jsonl" },
                { "name": "answer", "task": "text_generation", "after": "questions",
                  {{answerKeys}} },
                { "name": "unique", "dedup": { "column": "generation", {{dedup}} }, "after": "answer" },
                { "name": "out", "write": "answers.jsonl", "after": "unique" }
              ]
            }
            """.ReplaceLineEndings("\n"));
        return path;
    }

    private string Model => $"endpoint:{Server.BaseUrl}#fake-model";

    [TestCase("\"parms\": { \"temperature\": 0.7 }", "line 6, column 7: step 'answer' (task) has no key \"parms\"; did you mean \"params\"?")]
    [TestCase("\"structurd\": true", "line 6, column 7: step 'answer' (task) has no key \"structurd\"; did you mean \"structured\"?")]
    [TestCase("\"concurency\": 4", "line 6, column 7: step 'answer' (task) has no key \"concurency\"; did you mean \"concurrency\"?")]
    public async Task An_unknown_step_key_is_refused_by_check_and_run_with_its_position_and_the_key_meant(string keys, string message)
    {
        var file = File_(keys);

        var check = await ChildProgram.Distil.RunAsync("check", file, "--model", Model);
        var run = await ChildProgram.Distil.RunAsync("run", "--pipeline", file, "--model", Model, "--run-dir", Path.Combine(_temp.Path, "run"));

        Assert.That(check.ExitCode, Is.EqualTo(2));
        Assert.That(check.Error.Trim(), Is.EqualTo($"distil check: {file}: {message}"));
        Assert.That(run.ExitCode, Is.EqualTo(2));
        Assert.That(run.Error.Trim(), Is.EqualTo($"distil run: {file}: {message}"));
        Assert.That(Server.RequestCount, Is.Zero, "nothing ran");
        Assert.That(File.Exists(Path.Combine(_temp.Path, "answers.jsonl")), Is.False);
    }

    [Test]
    public async Task Unknown_keys_in_an_options_object_and_at_the_top_level_are_refused_too()
    {
        var inOptions = await ChildProgram.Distil.RunAsync("check", File_(dedup: "\"methd\": \"exact\""), "--model", Model);
        var file = File_();
        File.WriteAllText(file, File.ReadAllText(file).Replace("\"name\": \"answers\",", "\"name\": \"answers\", \"modle\": \"x\","));
        var topLevel = await ChildProgram.Distil.RunAsync("check", file, "--model", Model);

        Assert.That(inOptions.ExitCode, Is.EqualTo(2));
        Assert.That(inOptions.Error, Does.Contain("line 7, column 60: step 'unique' (dedup): \"dedup\" has no key \"methd\"; did you mean \"method\"?"));
        Assert.That(topLevel.ExitCode, Is.EqualTo(2));
        Assert.That(topLevel.Error, Does.Contain("line 2, column 22: the pipeline has no key \"modle\"; did you mean \"model\"?"));
    }

    [Test]
    public async Task A_JSON_syntax_error_counts_lines_and_columns_from_1()
    {
        var file = Path.Combine(_temp.Path, "broken.json");
        File.WriteAllText(file, "{\n  \"name\": \"x\",\n  \"steps\": [ oops ]\n}\n");

        var check = await ChildProgram.Distil.RunAsync("check", file);

        Assert.That(check.ExitCode, Is.EqualTo(2));
        Assert.That(check.Error, Does.Contain($"{file}: not valid JSON at line 3, column 14: "));
        Assert.That(check.Error, Does.Not.Contain("LineNumber"));
    }

    [Test]
    public async Task A_valid_file_passes_the_strict_reading()
    {
        var check = await ChildProgram.Distil.RunAsync("check", File_(), "--model", Model);

        Assert.That(check.ExitCode, Is.Zero, check.Error);
    }

    [Test]
    public async Task Param_sets_a_task_parameter_of_a_pipeline_file_over_its_params()
    {
        Server.Reply = FakeReplies.Answering(r => "answer to " + r.LastMessage);

        var file = File_("\"params\": { \"system_prompt\": \"Be brief.\", \"temperature\": 0.7 }, \"num_generations\": 1");

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", file, "--model", Model, "--run-dir", Path.Combine(_temp.Path, "run"),
            "--param", "answer.temperature=0.2", "--param", "answer.system_prompt=Answer in French.", "--param", "answer.num_generations=2");

        Assert.That(exitCode, Is.Zero, error);
        Assert.That(Server.Requests, Has.Count.EqualTo(4), "two rows, two generations each: --param wins over the step's \"num_generations\" too");
        foreach (var request in Server.Requests)
        {
            Assert.That(request.Body["temperature"]!.GetValue<double>(), Is.EqualTo(0.2).Within(1e-6), "--param wins over the file's 0.7");
            Assert.That((string?)request.Body["messages"]![0]!["content"], Is.EqualTo("Answer in French."));
        }
        Assert.That(File.ReadAllLines(Path.Combine(_temp.Path, "answers.jsonl")).Select(l => (string?)JsonNode.Parse(l)!["generation"]),
            Is.EquivalentTo(new[] { "answer to Why is the sky blue?", "answer to What is rain?" }), "the second generation of each row is dropped as a duplicate");
    }

    [TestCase("answr.temperature=0.2", "--param 'answr.temperature=0.2': the pipeline has no step 'answr'. Did you mean 'answer'?")]
    [TestCase("answer.temprature=0.2", "task 'answer' has no parameter 'temprature'. Did you mean 'temperature'?")]
    [TestCase("unique.temperature=0.2", "--param 'unique.temperature=0.2': step 'unique' (dedup) has no parameters; only task steps and your own steps do")]
    [TestCase("temperature=0.2", "--param 'temperature=0.2': with --pipeline, a parameter names its step: step.name=value")]
    public async Task A_misspelt_param_is_refused_with_exit_code_2_and_the_name_meant(string parameter, string message)
    {
        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", File_(), "--model", Model, "--run-dir", Path.Combine(_temp.Path, "run"),
            "--param", parameter);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error, Does.StartWith("distil run: --param ").And.Contain(message));
        Assert.That(Server.RequestCount, Is.Zero);
    }
    [Test]
    public async Task Schema_prints_a_JSON_Schema_every_sample_pipeline_passes_and_a_misspelt_key_fails()
    {
        using var child = ChildProgram.Distil.Start("schema");
        await child.Process.WaitForExitAsync();
        Assert.That(child.Process.ExitCode, Is.Zero, child.Error);
        var schema = JsonSchema.FromText(child.Output);
        var root = TestModel.Path[..TestModel.Path.IndexOf("samples", StringComparison.Ordinal)];
        var samples = Directory.GetFiles(Path.Combine(root, "samples", "pipelines"), "*.json");

        Assert.That(samples, Has.Length.GreaterThanOrEqualTo(3));
        foreach (var sample in samples)
        {
            var result = schema.Evaluate(JsonDocument.Parse(File.ReadAllText(sample)).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            Assert.That(result.IsValid, $"{Path.GetFileName(sample)}: {string.Join("; ", result.Details?.Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Values) ?? [])}");
        }
        foreach (var (keys, dedup) in new[] { ("\"parms\": {}", "\"method\": \"exact\""), ("\"structurd\": true", "\"method\": \"exact\""), ("\"structured\": true", "\"methd\": \"exact\"") })
        {
            Assert.That(schema.Evaluate(JsonDocument.Parse(File.ReadAllText(File_(keys, dedup))).RootElement).IsValid, Is.False, keys + ", " + dedup);
        }
        Assert.That(schema.Evaluate(JsonDocument.Parse(File.ReadAllText(File_())).RootElement).IsValid, "the valid file");
        var twoKinds = JsonDocument.Parse("""{"name": "x", "steps": [{"name": "a", "load": "a.jsonl", "write": "b.jsonl"}]}""").RootElement;
        Assert.That(schema.Evaluate(twoKinds).IsValid, Is.False, "a step has one kind");
    }
}

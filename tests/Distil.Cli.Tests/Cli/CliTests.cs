using System.Text.Json.Nodes;
using Distil.Cli;
using Distil.Tasks;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;
using Spectre.Console;

namespace Distil.Tests.Cli;

/// <summary>The distil command in process: what it prints, what it exits with, and one line per usage error.</summary>
public class CliTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-cli-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private sealed record Outcome(int ExitCode, string Out, string Error);

    private static async Task<Outcome> DistilWithInput(string? stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        var code = await DistilCommand.RunAsync(args, new CliConsole(output, error, new StringReader(stdin ?? ""), ansi));
        return new Outcome(code, output.ToString(), error.ToString());
    }

    private static Task<Outcome> Distil(params string[] args) => DistilWithInput(null, args);

    [Test]
    public async Task Tasks_lists_every_built_in_task_with_its_columns_and_parameters()
    {
        var result = await Distil("tasks");

        Assert.That(result.ExitCode, Is.Zero);
        foreach (var name in BuiltInTasks.Names) Assert.That(result.Out, Does.Contain(name + ": "));
        Assert.That(result.Out, Does.Contain("ultrafeedback: rates generations").And.Contain("  parameters: aspect (string)"));
        Assert.That(result.Out, Does.Contain("[mode=relative] inputs:     instruction, generations, reference (optional)"));
        Assert.That(result.Out, Does.Contain("Pipeline steps").And.Contain("  dedup ").And.Contain("  format_dpo ").And.Contain("  sample ").And.Contain("  validate "));
        Assert.That(result.Out, Does.Contain("Steps in C# only").And.Contain(".Evaluate(evaluator, request, response)"));
    }

    [Test]
    public async Task Check_validates_a_pipeline_file_without_running_it()
    {
        File.WriteAllLines(Path.Combine(_temp.Path, "questions.jsonl"), ["""{"question": "Why?", "answers": ["Because.", "No idea."]}"""]);
        File.WriteAllText(Path.Combine(_temp.Path, "good.json"), """
            {
              "name": "good",
              "steps": [
                { "name": "rows", "load": "questions.jsonl" },
                { "name": "score", "task": "quality_scorer", "after": "rows",
                  "input_mappings": { "instruction": "question", "responses": "answers" } },
                { "name": "out", "write": "scored.jsonl", "after": "score" }
              ]
            }
            """);
        File.WriteAllText(Path.Combine(_temp.Path, "bad.json"), File.ReadAllText(Path.Combine(_temp.Path, "good.json"))
            .Replace("\"good\"", "\"bad\"").Replace("\"responses\": \"answers\"", "\"responses\": \"answer\""));
        var model = "endpoint:http://127.0.0.1:9/v1#never-called";

        var good = await Distil("check", Path.Combine(_temp.Path, "good.json"), "--model", model);
        var bad = await Distil("check", Path.Combine(_temp.Path, "bad.json"), "--model", model);

        Assert.That(good.ExitCode, Is.Zero, good.Error);
        Assert.That(good.Out, Does.Contain("score (task)").And.Contain("scores: list<double>").And.Contain("Pipeline 'good' is valid: 3 steps"));
        Assert.That(bad.ExitCode, Is.EqualTo(2));
        Assert.That(bad.Error, Does.StartWith("distil check: ").And.Contain("needs column 'answer'").And.Contain("Did you mean 'answers'?"));
        Assert.That(File.Exists(Path.Combine(_temp.Path, "scored.jsonl")) || Directory.Exists(Path.Combine(_temp.Path, "run")), Is.False, "nothing ran");
    }

    [Test]
    public async Task Check_names_a_bad_file_with_its_own_command()
    {
        File.WriteAllText(Path.Combine(_temp.Path, "odd.json"), """{"name": "odd", "steps": [{ "name": "x", "teleport": true }]}""");

        var result = await Distil("check", Path.Combine(_temp.Path, "odd.json"));

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.StartWith("distil check: ").And.Contain("odd.json"));
    }

    [Test]
    public async Task Print_and_format_show_the_prompt_of_a_row()
    {
        var print = await Distil("print", "ultrafeedback", "--param", "aspect=honesty");
        var format = await Distil("format", "--task", "text_generation", "--param", "system_prompt=Be brief.", "--row", "{\"instruction\": \"Say hi\"}");

        Assert.That(print.ExitCode, Is.Zero);
        Assert.That(print.Out, Does.Contain("Prompt: UltraFeedback").And.Contain("<PLACEHOLDER_INSTRUCTION>").And.Contain("# Honesty and uncertainty"));
        Assert.That(format.ExitCode, Is.Zero);
        Assert.That(JsonNode.Parse(format.Out)!.ToJsonString(), Is.EqualTo("[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Say hi\"}]"));
    }

    // The catalogue's parsing cases, through the command line: answer format, sloppy variants,
    // unreadable answers and the JSON mode give the columns the parsing tests expect.
    [TestCase("quality_scorer", "", "{\"instruction\":\"q\",\"responses\":[\"a\",\"b\",\"c\"]}", "[1] Score: 4\n[2] Score: 2\n[3] Score: 6", false, "{\"scores\":[4,2,6]}")]
    [TestCase("quality_scorer", "", "{\"instruction\":\"q\",\"responses\":[\"a\",\"b\",\"c\"]}", "Here:\n**[1] Score:** 4.0 (good)\n [2]  score : 5 (Excellent)\n- [3] SCORE: 1", false, "{\"scores\":[4,5,1]}")]
    [TestCase("quality_scorer", "", "{\"instruction\":\"q\",\"responses\":[\"a\",\"b\",\"c\"]}", "I refuse.", false, "{\"scores\":[null,null,null]}")]
    [TestCase("quality_scorer", "", "{\"instruction\":\"q\",\"responses\":[\"a\",\"b\",\"c\"]}", "{\"scores\": [4, 2.5, null]}", true, "{\"scores\":[4,2.5,null]}")]
    [TestCase("complexity_scorer", "", "{\"instructions\":[\"a\",\"b\"]}", "[1] Score: 1\n[2] Score: 3", false, "{\"scores\":[1,3]}")]
    [TestCase("instruction_backtranslation", "", "{\"instruction\":\"q\",\"generation\":\"a\"}", "It answers well.\nScore: 4", false, "{\"score\":4,\"reason\":\"It answers well.\"}")]
    [TestCase("prometheus_eval", "", "{\"instruction\":\"q\",\"generation\":\"a\"}", "Feedback: Good. [RESULT] 4", false, "{\"feedback\":\"Good.\",\"result\":4}")]
    [TestCase("prometheus_eval", "", "{\"instruction\":\"q\",\"generation\":\"a\"}", "Feedback: Good. [RESULT] 9", false, "{\"feedback\":null,\"result\":null}")]
    [TestCase("prometheus_eval", "mode=relative", "{\"instruction\":\"q\",\"generations\":[\"a\",\"b\"]}", "Feedback: B is right. [RESULT] B", false, "{\"feedback\":\"B is right.\",\"result\":\"B\"}")]
    [TestCase("self_instruct", "", "{\"input\":\"water\"}", "1. Why is water wet?\n\n2. What is ice?", false, "{\"instructions\":[\"Why is water wet?\",\"What is ice?\"]}")]
    [TestCase("genstruct", "", "{\"title\":\"t\",\"content\":\"c\"}", "How do plants eat?\n[[[Assistant]]]\nWith light.", false, "{\"user\":\"How do plants eat?\",\"assistant\":\"With light.\"}")]
    [TestCase("urial", "", "{\"instruction\":\"q\"}", "An answer.\n\n# User:\nmore", false, "{\"generation\":\"An answer.\"}")]
    [TestCase("text_generation", "", "{\"instruction\":\"q\"}", "  Rain on the roof.\n", false, "{\"generation\":\"Rain on the roof.\"}")]
    [TestCase("evol_instruct", "", "{\"instruction\":\"x\"}", "Rewritten Instruction: Explain recursion.", false, "{\"evolved_instruction\":\"Explain recursion.\",\"evolved_instructions\":null,\"answer\":null,\"answers\":null}")]
    [TestCase("text_classification", "", "{\"text\":\"Cold food.\"}", "{\"labels\": [\"complaint\"]}", false, "{\"labels\":[\"complaint\"]}")]
    public async Task Parse_reproduces_the_catalogue_parsing_cases(string task, string parameter, string row, string answer, bool structured, string expected)
    {
        var args = new List<string> { "parse", "--task", task, "--row", row, "--text", answer };
        if (parameter.Length > 0) args.AddRange(["--param", parameter]);
        if (structured) args.Add("--structured");

        var result = await Distil([.. args]);

        Assert.That(result.ExitCode, Is.Zero, result.Error);
        Assert.That(result.Out.Trim(), Is.EqualTo(expected));
        var direct = BuiltInTasks.Create(task, parameter.Length > 0 ? [parameter] : []);
        direct.UseDefaultStructuredOutput |= structured;
        Assert.That(result.Out.Trim(), Is.EqualTo(direct.ParseRow(answer, JsonNode.Parse(row)!.AsObject()).ToJsonString()), "the same as the library");
    }

    [Test]
    public async Task Parse_reads_the_answer_from_standard_input_with_a_dash()
    {
        var result = await DistilWithInput("[1] Score: 5\n", "parse", "--task", "quality_scorer", "--row", "{\"instruction\":\"q\",\"responses\":[\"a\"]}", "--text", "-");

        Assert.That((result.ExitCode, result.Out.Trim()), Is.EqualTo((0, "{\"scores\":[5]}")));
    }

    [TestCase(new[] { "frobnicate" }, "Unrecognized command or argument 'frobnicate'")]
    [TestCase(new[] { "format", "--task", "ultrafedback", "--row", "{}" }, "no built-in task 'ultrafedback'. Did you mean 'ultrafeedback'?")]
    [TestCase(new[] { "format", "--task", "quality_scorer" }, "distil format: --row is required")]
    [TestCase(new[] { "parse", "--task", "quality_scorer", "--row", "{nope", "--text", "x" }, "distil parse: --row is not valid JSON")]
    [TestCase(new[] { "parse", "--task", "quality_scorer", "--row", "{\"instruction\":\"q\"}", "--text", "x" }, "column 'responses' is missing")]
    [TestCase(new[] { "print", "ultrafeedback", "--param", "aspekt=honesty" }, "has no parameter 'aspekt'. Did you mean 'aspect'?")]
    [TestCase(new[] { "print", "ultrafeedback", "--param", "aspect=kindness" }, "kindness")]
    [TestCase(new[] { "run", "--task", "quality_scorer", "--input", "missing.jsonl", "--output", "o.jsonl", "--model", "openai:x" }, "--input '")]
    [TestCase(new[] { "run", "--task", "quality_scorer" }, "--input is required with --task")]
    [TestCase(new[] { "run", "--concurrency", "many", "--task", "quality_scorer" }, "many")]
    public async Task Bad_usage_exits_2_with_one_clear_line(string[] args, string expected)
    {
        var result = await Distil(args);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Out + result.Error);
        Assert.That(result.Error.TrimEnd().Split('\n'), Has.Length.EqualTo(1), result.Error);
        Assert.That(result.Error, Does.Contain(expected));
    }

    [Test]
    public async Task Run_writes_the_output_file_prints_a_summary_and_resumes()
    {
        Server.Reply = FakeReplies.Answering(r => "[1] Score: 4\n[2] Score: 2");
        var input = Path.Combine(_temp.Path, "rows.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, 20).Select(i => $"{{\"instruction\":\"q{i}\",\"responses\":[\"a\",\"b\"]}}"));
        var output = Path.Combine(_temp.Path, "out", "scored.jsonl");
        string[] args = ["run", "--task", "quality_scorer", "--input", input, "--output", output, "--model", $"endpoint:{Server.BaseUrl}#fake", "--run-dir", Path.Combine(_temp.Path, "run"), "--concurrency", "4"];

        var first = await Distil(args);
        var requests = Server.RequestCount;
        Assert.That(requests, Is.EqualTo(20));
        var second = await Distil(args);

        Assert.That(first.ExitCode, Is.Zero, first.Error);
        Assert.That(first.Out, Does.Contain("output: 20 rows.").And.Contain("quality_scorer: 20 calls this run, 0 failed"));
        var rows = File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.That(rows.Select(r => r["scores"]!.ToJsonString()), Has.All.EqualTo("[4,2]"));
        Assert.That(rows.Select(r => (string?)r["model_name"]), Has.All.EqualTo("fake"));
        Assert.That(second.ExitCode, Is.Zero);
        Assert.That(Server.RequestCount, Is.EqualTo(requests), "the second run resumed from the run directory");
    }

    [Test]
    public async Task Run_dry_run_prints_every_steps_columns_and_types_and_calls_nothing()
    {
        var input = Path.Combine(_temp.Path, "rows.jsonl");
        // The first rows lack an id: its type still comes from the later ones (every row is scanned).
        File.WriteAllLines(input, Enumerable.Range(0, 30).Select(i => i < 20
            ? $"{{\"instruction\":\"q{i}\",\"responses\":[\"a\",\"b\"]}}"
            : $"{{\"instruction\":\"q{i}\",\"responses\":[\"a\",\"b\"],\"id\":{i}}}"));

        var result = await Distil("run", "--task", "quality_scorer", "--input", input, "--output", Path.Combine(_temp.Path, "o.parquet"),
            "--model", $"endpoint:{Server.BaseUrl}#m", "--run-dir", Path.Combine(_temp.Path, "run"), "--dry-run");

        Assert.That(result.ExitCode, Is.Zero, result.Error);
        Assert.That(Server.RequestCount, Is.Zero);
        Assert.That(Directory.Exists(Path.Combine(_temp.Path, "run")), Is.False, "no run directory");
        Assert.That(result.Out, Does.Contain("input (load)\n  instruction: string\n  responses: list<string>\n  id: int64"));
        Assert.That(result.Out, Does.Contain("quality_scorer (task)").And.Contain("  scores: list<double>").And.Contain("  model_name: string")
            .And.Contain("  distilabel_metadata: struct<raw_output_quality_scorer: string, raw_input_quality_scorer: list<struct<role: string, content: string>>, " +
                "statistics_quality_scorer: struct<input_tokens: int64, output_tokens: int64>, error_quality_scorer: string, output_error_quality_scorer: string, repairs_quality_scorer: list<string>>"));
    }

    [Test]
    public async Task Run_with_batch_and_wait_sends_an_offline_batch_and_writes_the_rows()
    {
        Server.Reply = FakeReplies.Answering(r => "answer to " + r.LastMessage);
        var input = Path.Combine(_temp.Path, "rows.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, 5).Select(i => $"{{\"instruction\":\"q{i}\"}}"));
        var output = Path.Combine(_temp.Path, "batched.jsonl");

        var result = await Distil("run", "--task", "text_generation", "--input", input, "--output", output,
            "--model", $"endpoint:{Server.BaseUrl}#fake", "--run-dir", Path.Combine(_temp.Path, "run"), "--batch", "--wait");

        Assert.That(result.ExitCode, Is.Zero, result.Error);
        Assert.That(Server.Batches.Created.Single().CustomIds, Has.Count.EqualTo(5));
        Assert.That(Server.RequestCount, Is.Zero, "no online call");
        Assert.That(File.ReadAllLines(output).Select(l => (string?)JsonNode.Parse(l)!["generation"]), Is.EqualTo(Enumerable.Range(0, 5).Select(i => $"answer to q{i}")));

        var waitAlone = await Distil("run", "--task", "text_generation", "--input", input, "--output", output, "--model", "openai:x", "--wait");
        Assert.That((waitAlone.ExitCode, waitAlone.Error.Trim()), Is.EqualTo((2, "distil run: --wait goes with --batch (it waits for offline batches).")));
    }

    [Test]
    public async Task Run_takes_num_generations_from_a_param_when_the_option_is_not_given()
    {
        Server.Reply = FakeReplies.Answering(r => "answer");
        var input = Path.Combine(_temp.Path, "rows.jsonl");
        File.WriteAllLines(input, ["{\"instruction\":\"q\"}"]);

        var result = await Distil("run", "--task", "text_generation", "--input", input, "--output", Path.Combine(_temp.Path, "o.jsonl"),
            "--model", $"endpoint:{Server.BaseUrl}#fake", "--run-dir", Path.Combine(_temp.Path, "run"), "--param", "num_generations=3");

        Assert.That(result.ExitCode, Is.Zero, result.Error);
        Assert.That(Server.RequestCount, Is.EqualTo(3));
        Assert.That(File.ReadAllLines(Path.Combine(_temp.Path, "o.jsonl")), Has.Length.EqualTo(3));
    }

    [Test]
    public async Task Run_exits_1_when_rows_have_failed_calls()
    {
        Server.Reply = FakeReplies.Outage(400);
        var input = Path.Combine(_temp.Path, "rows.jsonl");
        File.WriteAllLines(input, ["{\"instruction\":\"q\"}"]);

        var result = await Distil("run", "--task", "text_generation", "--input", input, "--output", Path.Combine(_temp.Path, "o.jsonl"),
            "--model", $"endpoint:{Server.BaseUrl}#fake", "--run-dir", Path.Combine(_temp.Path, "run"));

        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.Out, Does.Contain("output: 1 row, 1 with failed calls.").And.Contain("text_generation: 0 calls this run, 1 failed"));
    }

    [Test]
    public async Task Run_a_pipeline_file_and_refuse_a_broken_one_naming_the_step()
    {
        Server.Reply = FakeReplies.Answering(r => "answer to " + r.LastMessage);
        File.WriteAllLines(Path.Combine(_temp.Path, "questions.jsonl"), ["{\"instruction\":\"q1\"}", "{\"instruction\":\"q2\"}"]);
        var file = Path.Combine(_temp.Path, "pipeline.json");
        File.WriteAllText(file, $$"""
            {
              "name": "answers",
              "model": "endpoint:{{Server.BaseUrl}}#fake",
              "run_dir": "run",
              "steps": [
                { "name": "questions", "load": "questions.jsonl" },
                { "name": "answer", "task": "text_generation", "after": "questions", "params": { "system_prompt": "Be brief.", "temperature": 0.2 } },
                { "name": "keep", "keep_columns": ["instruction", "generation"], "after": "answer" },
                { "name": "out", "write": "answers.jsonl", "after": "keep" }
              ]
            }
            """);

        var result = await Distil("run", "--pipeline", file);

        Assert.That(result.ExitCode, Is.Zero, result.Error);
        Assert.That(File.ReadAllLines(Path.Combine(_temp.Path, "answers.jsonl")),
            Is.EqualTo(new[] { "{\"instruction\":\"q1\",\"generation\":\"answer to q1\"}", "{\"instruction\":\"q2\",\"generation\":\"answer to q2\"}" }));
        Assert.That(Server.Requests.Select(r => r.Body["temperature"]!.GetValue<double>()), Has.All.EqualTo(0.2).Within(1e-6));

        File.WriteAllText(file, File.ReadAllText(file).Replace("\"after\": \"answer\"", "\"after\": \"answr\""));
        var broken = await Distil("run", "--pipeline", file);
        Assert.That(broken.ExitCode, Is.EqualTo(2));
        Assert.That(broken.Error, Does.Contain("step 'keep' comes after 'answr', which is not a step; did you mean 'answer'?"));
    }
}

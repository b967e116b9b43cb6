using System.Text.Json.Nodes;
using Distil.Testing;
using Distil.Tests.Providers;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// A user's own built assembly (tests/Fixtures/Distil.UserCode: a <c>[Task("grade")]</c>, a hand-written
/// <c>[Step("normalize")]</c> row step with settings, and a <c>"shout"</c> pipeline-file kind) loaded by
/// the real <c>distil</c> process with <c>--assembly</c>, against the stand-in server. The assembly's
/// folder holds its own copy of Distil.dll and a dependency distil does not have: distil shares its own
/// Distil (else the task is not an LlmTask to it) and finds the dependency in the folder.
/// </summary>
public class UserAssemblyTests : FakeServerTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder()
    {
        _temp = new TempFolder("distil-assembly-");
        File.WriteAllLines(Path.Combine(_temp.Path, "tickets.jsonl"),
        [
            """{"id": 1, "body": "  my   printer\n is on   fire  "}""",
            """{"id": 2, "body": "the screen flickers when I type quickly"}""",
        ]);
    }

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    /// <summary>The fixture's built assembly, beside the test's own configuration.</summary>
    private static string UserAssembly
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (!File.Exists(Path.Combine(dir.FullName, "Distil.Generated.sln"))) continue;
                return Path.Combine(dir.FullName, "tests", "Fixtures", "Distil.UserCode", "bin", configuration, "net10.0", "Distil.UserCode.dll");
            }
            throw new InvalidOperationException("The repository root is not above the test's folder.");
        }
    }

    private string Model => $"endpoint:{Server.BaseUrl}#fake-model";

    private string RunDirectory => Path.Combine(_temp.Path, "run");

    // load -> normalize (the user's step) -> grade (the user's task) -> write.
    private string PipelineFile(string normalize = """ "step": "normalize", "params": { "column": "body", "max_length": 12 } """,
        string grade = """ "task": "grade", "params": { "temperature": 0.3 } """)
    {
        var path = Path.Combine(_temp.Path, "pipeline.json");
        File.WriteAllText(path, $$"""
            {
              "name": "tickets",
              "steps": [
                { "name": "tickets", "load": "tickets.jsonl" },
                { "name": "clean", {{normalize}}, "after": "tickets" },
                { "name": "graded", {{grade}}, "after": "clean" },
                { "name": "out", "write": "graded.jsonl", "after": "graded" }
              ]
            }
            """);
        return path;
    }

    private static async Task<(int ExitCode, string Output, string Error)> DistilAsync(params string[] arguments)
    {
        using var child = ChildProgram.Distil.Start(arguments);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.Process.WaitForExitAsync(timeout.Token);
        return (child.Process.ExitCode, child.Output, child.Error);
    }

    [Test]
    public void The_fixture_carries_its_own_Distil_and_a_dependency_distil_does_not_have()
    {
        var folder = Path.GetDirectoryName(UserAssembly)!;

        Assert.That(File.Exists(UserAssembly), $"build {UserAssembly} (the test project references it)");
        Assert.That(File.Exists(Path.Combine(folder, "Distil.dll")), "a copy of Distil beside it, which distil must not load");
        Assert.That(File.Exists(Path.Combine(folder, "Distil.UserCode.Helpers.dll")), "its own dependency, found through its folder");
    }

    [Test]
    public async Task A_pipeline_file_runs_the_users_step_and_task_with_their_settings()
    {
        Server.Reply = FakeReplies.Answering(_ => """{"grade": 4}""");

        var (exitCode, output, error) = await DistilAsync("run", "--pipeline", PipelineFile(), "--assembly", UserAssembly, "--model", Model, "--run-dir", RunDirectory);

        Assert.That(exitCode, Is.Zero, output + error);
        var rows = File.ReadAllLines(Path.Combine(_temp.Path, "graded.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).OrderBy(r => (int)r["id"]!).ToList();
        Assert.That(rows.Select(r => (string?)r["clean_text"]), Is.EqualTo(new[] { "my printer i", "the screen f" }), "the step ran with column=body and max_length=12");
        Assert.That(rows.Select(r => (int?)r["length"]), Is.EqualTo(new int?[] { 12, 12 }));
        Assert.That(rows.Select(r => (int?)r["grade"]), Is.EqualTo(new int?[] { 4, 4 }), "the task ran and its answer was read");
        Assert.That(Server.Requests, Has.Count.EqualTo(2));
        Assert.That(Server.Requests.Select(r => (double?)r.Body["temperature"]), Is.All.EqualTo(0.3), "the task's params reached the server");
        Assert.That(Server.Requests.Select(r => r.Prompt), Has.Some.Contains("Grade this text from 1 to 5: my printer i"));
    }

    [Test]
    public async Task A_generated_typed_step_and_the_users_task_run_from_a_pipeline_file()
    {
        Server.Reply = FakeReplies.Answering(_ => """{"grade": 5}""");
        var file = PipelineFile(normalize: """ "step": "tidy", "params": { "max_length": 12 } """);

        var (exitCode, output, error) = await DistilAsync("run", "--pipeline", file, "--assembly", UserAssembly, "--model", Model, "--run-dir", RunDirectory);

        Assert.That(exitCode, Is.Zero, output + error);
        var rows = File.ReadAllLines(Path.Combine(_temp.Path, "graded.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).OrderBy(r => (int)r["id"]!).ToList();
        Assert.That(rows.Select(r => (string?)r["clean_text"]), Is.EqualTo(new[] { "my printer i", "the screen f" }), "the typed step ran with max_length=12");
        Assert.That(rows.Select(r => (int?)r["length"]), Is.EqualTo(new int?[] { 12, 12 }));
        Assert.That(rows.Select(r => (string?)r["body"]), Has.All.Not.Null, "a typed step keeps the row's other columns");
        Assert.That(rows.Select(r => (int?)r["grade"]), Is.EqualTo(new int?[] { 5, 5 }));
        Assert.That(Server.Requests.Select(r => r.Prompt), Has.Some.Contains("Grade this text from 1 to 5: the screen f"));
    }

    [Test]
    public async Task Param_on_the_command_line_sets_a_users_step_setting_over_the_files()
    {
        Server.Reply = FakeReplies.Answering(_ => """{"grade": 2}""");

        var (exitCode, output, error) = await DistilAsync("run", "--pipeline", PipelineFile(), "--assembly", UserAssembly, "--model", Model, "--run-dir", RunDirectory,
            "--param", "clean.shout=true", "--param", "clean.max_length=3");

        Assert.That(exitCode, Is.Zero, output + error);
        var cleaned = File.ReadAllLines(Path.Combine(_temp.Path, "graded.jsonl")).Select(l => (string?)JsonNode.Parse(l)!["clean_text"]).Order().ToList();
        Assert.That(cleaned, Is.EqualTo(new[] { "MY ", "THE" }));
    }

    [Test]
    public async Task A_kind_the_assembly_registers_is_checked_and_its_step_and_task_columns_are_printed()
    {
        var file = PipelineFile(normalize: """ "shout": { "column": "body" } """);

        var (exitCode, output, error) = await DistilAsync("check", file, "--assembly", UserAssembly, "--model", Model);

        Assert.That(exitCode, Is.Zero, output + error);
        Assert.That(output, Does.Contain("clean_text").And.Contain("grade"));
        Assert.That(output, Does.Contain("Pipeline 'tickets' is valid"));
        Assert.That(Server.RequestCount, Is.Zero);
    }

    [Test]
    public async Task Check_finds_a_column_the_users_task_reads_that_no_step_writes()
    {
        // The step reads "text" (its default), which the tickets do not have.
        var file = PipelineFile(normalize: """ "step": "normalize" """);

        var (exitCode, _, error) = await DistilAsync("check", file, "--assembly", UserAssembly, "--model", Model);

        Assert.That(exitCode, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain("'text'").And.Contain("clean"));
    }

    [TestCase(""" "task": "grad" """, "step 'graded': There is no task 'grad'. Did you mean 'grade'? The tasks are: from --assembly: grade; built-in: apigen_generator, apigen_semantic_checker, chat_generation, clair,")]
    [TestCase(""" "step": "normalise" """, "step 'clean': there is no step 'normalise'. Did you mean 'normalize'? The steps from --assembly are normalize, tidy.")]
    [TestCase(""" "step": "normalize", "params": { "colum": "body" } """, "step 'clean': step 'normalize' (Distil.UserCode.Normalize) has no setting 'colum'. Did you mean 'column'? Its settings: column, shout, max_length.")]
    [TestCase(""" "step": "normalize", "params": { "max_length": "long" } """, "step 'clean': setting 'max_length' of step 'normalize' must be a whole number; it is \"long\".")]
    public async Task A_wrong_name_or_setting_is_an_error_listing_what_there_is(string keys, string message)
    {
        var file = keys.Contains("\"task\"") ? PipelineFile(grade: keys) : PipelineFile(normalize: keys);

        var (exitCode, _, error) = await DistilAsync("run", "--pipeline", file, "--assembly", UserAssembly, "--model", Model, "--run-dir", RunDirectory);

        Assert.That(exitCode, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain(message));
        Assert.That(Server.RequestCount, Is.Zero);
    }

    [Test]
    public async Task A_users_step_without_assembly_says_to_give_one()
    {
        var (exitCode, _, error) = await DistilAsync("run", "--pipeline", PipelineFile(), "--model", Model, "--run-dir", RunDirectory);

        Assert.That(exitCode, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain("step 'clean': there is no step 'normalize'. None is loaded; give the assembly of your steps with --assembly PATH.dll."));
    }

    [Test]
    public async Task The_same_assembly_twice_or_a_missing_one_is_an_error()
    {
        var twice = await DistilAsync("tasks", "--assembly", UserAssembly, "--assembly", UserAssembly);
        var missing = await DistilAsync("tasks", "--assembly", Path.Combine(_temp.Path, "Nothing.dll"));

        Assert.That(twice.ExitCode, Is.EqualTo(2));
        Assert.That(twice.Error, Does.Contain("it is the assembly 'Distil.UserCode' again"));
        Assert.That(missing.ExitCode, Is.EqualTo(2));
        Assert.That(missing.Error, Does.Contain("Nothing.dll': there is no such file; build the project first"));
    }

    [Test]
    public async Task Tasks_lists_the_users_task_and_step_with_their_columns_and_settings()
    {
        var (exitCode, output, error) = await DistilAsync("tasks", "--assembly", UserAssembly);

        Assert.That(exitCode, Is.Zero, error);
        Assert.That(output, Does.Contain("grade: Distil.UserCode.Grade (Distil.UserCode)\n  inputs:     clean_text\n  outputs:    grade\n").IgnoreCase.Or.Contain("grade: Distil.UserCode.Grade (Distil.UserCode)" + Environment.NewLine + "  inputs:     clean_text"));
        Assert.That(output, Does.Contain("normalize: Distil.UserCode.Normalize (Distil.UserCode)"));
        Assert.That(output, Does.Contain("  reads:      text"));
        Assert.That(output, Does.Contain("  params:     column (text), shout (true or false), max_length (a whole number)"));
        Assert.That(output, Does.Contain("  shout").And.Contain("ultrafeedback"), "the assembly's kind and the built-ins are listed too");
    }
}

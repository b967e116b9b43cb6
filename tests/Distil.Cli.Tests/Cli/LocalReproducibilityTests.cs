using System.Diagnostics;
using System.Text.Json.Nodes;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>
/// <c>distil run</c> with the tiny local model and a seeded, sampled task: the dataset depends only on
/// the inputs and settings, not on which rows happened to decode together, so runs repeat exactly and
/// a run killed mid-way resumes to the dataset of an uninterrupted one.
/// </summary>
[NonParallelizable]
public class LocalReproducibilityTests
{
    private const int Rows = 48;
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateWorkFolder()
    {
        _temp = new TempFolder("distil-local-repro-");
        File.WriteAllLines(Path.Combine(_temp.Path, "questions.jsonl"), Enumerable.Range(0, Rows)
            .Select(i => new JsonObject { ["id"] = i, ["instruction"] = $"Question {i}: explain topic {i * 13 % 7} in a few words." }.ToJsonString()));
    }

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    // Parallel 4: the rows in flight at the kill are decoded again beside other neighbours, which
    // arrive at other steps; before each prompt was decoded in a call of its own, about a third of
    // such runs wrote two or three rows that diverged mid-answer.
    [TestCase(1)]
    [TestCase(4)]
    public async Task Seeded_local_runs_write_the_same_dataset_twice_and_after_a_kill_and_resume(int parallel)
    {
        var first = await RunToEndAsync("first", parallel);
        var second = await RunToEndAsync("second", parallel);

        var (file, runDirectory, resumed) = WritePipelineFile("killed", parallel);
        using (var child = ChildProgram.Distil.Start("run", "--pipeline", file))
        {
            var store = Path.Combine(runDirectory, "distil-run.db");
            var clock = Stopwatch.StartNew();
            while (!File.Exists(store) || Stored(store) < Rows / 4)
            {
                if (child.HasExited) Assert.Fail($"distil run ended before it could be killed ({child.Process.ExitCode}): {child.Error}");
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(90)), "distil run answered too little");
                await Task.Delay(5);
            }
            await child.KillAsync(); // SIGKILL: no cleanup
            Assert.That(Stored(store), Is.LessThan(Rows), "killed mid-way");
        }
        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", file);
        Assert.That(exitCode, Is.Zero, error);

        var expected = File.ReadAllLines(first);
        Assert.That(expected, Has.Length.EqualTo(Rows));
        Assert.That(expected.Select(Generation).Distinct().Count(), Is.GreaterThan(Rows / 2), "sampled answers, one per question");
        AssertSameRows(File.ReadAllLines(second), expected, "a second uninterrupted run");
        AssertSameRows(File.ReadAllLines(resumed), expected, "a run killed mid-way and resumed");
    }

    private static void AssertSameRows(string[] actual, string[] expected, string which)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), which);
        var differing = Enumerable.Range(0, expected.Length).Where(i => actual[i] != expected[i]).ToList();
        Assert.That(differing, Is.Empty, $"{which}: rows that differ from the first run's:\n" +
            string.Join("\n", differing.Take(2).Select(i => $"expected {expected[i]}\nactual   {actual[i]}")));
    }

    private static string Generation(string line) => (string)JsonNode.Parse(line)!["generation"]!;

    private static int Stored(string store)
    {
        try
        {
            return RunStore.StoredKeys(store, "answer").Count;
        }
        catch (Microsoft.Data.Sqlite.SqliteException)
        {
            return 0; // the child is still creating the store's tables
        }
    }

    private async Task<string> RunToEndAsync(string name, int parallel)
    {
        var (file, _, output) = WritePipelineFile(name, parallel);
        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", file);
        Assert.That(exitCode, Is.Zero, error);
        return output;
    }

    // Sampled (temperature 1) with one seed for the step: each row's answer is fixed by its prompt.
    private (string File, string RunDirectory, string Output) WritePipelineFile(string name, int parallel)
    {
        var file = Path.Combine(_temp.Path, $"{name}.json");
        var output = Path.Combine(_temp.Path, $"{name}.jsonl");
        var runDirectory = Path.Combine(_temp.Path, $"run-{name}");
        File.WriteAllText(file, new JsonObject
        {
            ["name"] = "local-repro",
            ["model"] = $"local:{TestModel.Path}?context=256&parallel={parallel}",
            ["run_dir"] = runDirectory,
            ["steps"] = new JsonArray(
                new JsonObject { ["name"] = "questions", ["load"] = Path.Combine(_temp.Path, "questions.jsonl") },
                new JsonObject
                {
                    ["name"] = "answer", ["task"] = "text_generation", ["after"] = "questions", ["concurrency"] = parallel,
                    ["params"] = new JsonObject { ["seed"] = 11, ["temperature"] = 1.0, ["max_output_tokens"] = 32, ["system_prompt"] = "You are careful. Answer briefly." },
                },
                new JsonObject { ["name"] = "out", ["write"] = output, ["after"] = "answer" }),
        }.ToJsonString());
        return (file, runDirectory, output);
    }
}

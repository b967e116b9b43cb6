using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tests.Support;
using Distil.Validation;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>Validity columns from C# compilation, JSON schemas and regular expressions.</summary>
public class ValidatorTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-validate-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private async Task<List<JsonObject>> RunAsync(IEnumerable<JsonObject> rows, IRowValidator validator, bool keepValidOnly = false)
    {
        var pipeline = Pipeline.Create("validate");
        pipeline.RunDirectory = Path.Combine(_temp.Path, Guid.NewGuid().ToString("N"));
        pipeline.Load(rows).Validate("value", validator, keepValidOnly);
        return await (await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None })).Dataset.ToListAsync();
    }

    [Test]
    public async Task CSharp_that_does_not_compile_is_flagged_with_the_compiler_s_errors()
    {
        var rows = await RunAsync(
        [
            new JsonObject { ["value"] = "public static class Maths { public static int Twice(int x) => x * 2; }" },
            new JsonObject { ["value"] = "```csharp\nvar total = new[] { 1, 2, 3 }.Sum();\nSystem.Console.WriteLine(total);\n```" },
            new JsonObject { ["value"] = "public class Broken { public int Value() { return \"text\" } }" },
            new JsonObject { ["value"] = "class UsesNothing { void M() { Frobnicate(); } }" },
        ], Validators.CSharp());

        Assert.That(rows.Select(r => (bool)r["value_valid"]!), Is.EqualTo(new[] { true, true, false, false }), "a library, a fenced program, then two errors");
        var broken = rows[2]["value_errors"]!.AsArray().Select(e => (string)e!).ToList();
        Assert.That(broken, Has.Some.StartsWith("CS1002 (line 1, column").And.Some.StartsWith("CS0029"), string.Join("; ", broken));
        Assert.That(rows[3]["value_errors"]!.AsArray().Select(e => (string)e!), Has.Some.Contains("CS0103").And.Some.Contains("Frobnicate"));
    }

    [Test]
    public async Task JSON_is_checked_against_its_schema_and_regexes_whole()
    {
        var schema = """{"type": "object", "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5}}, "required": ["score"]}""";
        var json = await RunAsync(
        [
            new JsonObject { ["value"] = "{\"score\": 4}" },
            new JsonObject { ["value"] = new JsonObject { ["score"] = 9 } },
            new JsonObject { ["value"] = "not json" },
        ], Validators.JsonSchema(schema));
        Assert.That(json.Select(r => (bool)r["value_valid"]!), Is.EqualTo(new[] { true, false, false }));
        Assert.That(json[2]["value_errors"]![0]!.GetValue<string>(), Does.StartWith("not JSON"));

        var kept = await RunAsync(
            [new JsonObject { ["value"] = "ABC-123" }, new JsonObject { ["value"] = "xABC-123" }, new JsonObject { ["value"] = null }],
            RowValidators.Regex("[A-Z]{3}-[0-9]{3}"), keepValidOnly: true);
        Assert.That(kept.Select(r => (string?)r["value"]), Is.EqualTo(new[] { "ABC-123" }), "only valid rows kept; the pattern matches whole values");
    }
}

using Distil.Tests.Support;
using DuckDB.NET.Data;
using NUnit.Framework;

namespace Distil.Tests.Cli;

/// <summary>The sample preference-data recipe, end to end and offline on the tiny model.</summary>
public class RecipeTests
{
    [Test]
    public async Task The_DPO_recipe_generates_embeds_deduplicates_scores_pairs_and_writes_the_Hugging_Face_layout()
    {
        using var folder = new TempFolder("distil-recipe-");
        var work = folder.Path;
        var root = TestModel.Path[..TestModel.Path.IndexOf("samples", StringComparison.Ordinal)];
        File.Copy(Path.Combine(root, "samples", "pipelines", "dpo-recipe.json"), Path.Combine(work, "dpo-recipe.json"));

        var (exitCode, error) = await ChildProgram.Distil.RunAsync("run", "--pipeline", Path.Combine(work, "dpo-recipe.json"), "--model", $"local:{TestModel.Path}");

        Assert.That(exitCode, Is.Zero, error);
        var dataset = Path.Combine(work, "dpo-dataset");
        Assert.That(File.ReadAllText(Path.Combine(dataset, "README.md")), Does.Contain("chosen").And.Contain("rejected"));
        using var duck = new DuckDBConnection("Data Source=:memory:");
        duck.Open();
        using var command = duck.CreateCommand();
        command.CommandText = $"SELECT count(*), count(*) FILTER (WHERE chosen_rating > rejected_rating) FROM '{Path.Combine(dataset, "data", "*.parquet")}'";
        using var reader = command.ExecuteReader();
        Assert.That(reader.Read());
        var (pairs, ordered) = (reader.GetInt64(0), reader.GetInt64(1));
        Assert.That(pairs, Is.GreaterThan(0).And.LessThanOrEqualTo(24));
        Assert.That(ordered, Is.EqualTo(pairs), "every chosen answer is rated above its rejected one");
        Assert.That(File.Exists(Path.Combine(work, "run-dpo", "duplicates-unique.jsonl")), "the dedup step listed what it dropped (if anything)");
    }
}

using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distil.Pipelines;
using Distil.Testing;
using Distil.Tests.Support;
using DuckDB.NET.Data;
using NUnit.Framework;
using YamlDotNet.RepresentationModel;

namespace Distil.Tests.Pipelines;

/// <summary>
/// The Hugging Face layout: shards named as the Hub names them, a dataset card whose YAML features
/// are the pipeline's schema (parsed with YamlDotNet), and the rows, read back by DuckDB.
/// </summary>
public class HuggingFaceLayoutTests
{
    private const int Rows = 3_000;
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-hf-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private static readonly Regex Item = new(@"Item (\d+)", RegexOptions.Compiled);

    [Test]
    public async Task Shards_card_and_rows_follow_the_Hugging_Face_layout()
    {
        var folder = Path.Combine(_temp.Path, "reviews");
        var llm = new ScriptedChatClient(r => ScriptedChatClient.Answer(ReviewAnalysisTask.Answer(int.Parse(Item.Match(r.UserText).Groups[1].Value)), 10, 20));
        var pipeline = Pipeline.Create("reviews");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load(Enumerable.Range(0, Rows).Select(i => new JsonObject { ["id"] = i, ["text"] = $"review {i}" }))
            .Then(new ReviewAnalysisTask { Llm = llm, MaxConcurrency = 16 })
            // Small shards, so that the dataset needs several.
            .Write(new HuggingFaceRowSink(folder, maxShardBytes: 60_000, rowGroupSize: 500));
        var schema = (await pipeline.ValidateAsync())["review_analysis"].Columns!;

        await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        var shards = Directory.GetFiles(Path.Combine(folder, "data")).Select(Path.GetFileName).Order().ToList();
        Assert.That(shards.Count, Is.GreaterThan(1), "several shards");
        Assert.That(shards, Is.EqualTo(Enumerable.Range(0, shards.Count).Select(i => $"train-{i:D5}-of-{shards.Count:D5}.parquet")));

        var card = File.ReadAllText(Path.Combine(folder, "README.md"));
        var header = Regex.Match(card, @"\A---\n(.*?)\n---\n", RegexOptions.Singleline);
        Assert.That(header.Success, "the card starts with a YAML header");
        var yaml = new YamlStream();
        yaml.Load(new StringReader(header.Groups[1].Value));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var info = (YamlMappingNode)root["dataset_info"];
        Assert.That(Features((YamlSequenceNode)info["features"]), Is.EqualTo(schema.Select(c => $"{c.Name}: {Expected(c.Type)}").ToList()),
            "the card's features are the pipeline's schema");
        var split = (YamlMappingNode)((YamlSequenceNode)info["splits"])[0];
        Assert.That(((YamlScalarNode)split["name"]).Value, Is.EqualTo("train"));
        Assert.That(((YamlScalarNode)split["num_examples"]).Value, Is.EqualTo(Rows.ToString()));
        var config = (YamlMappingNode)((YamlSequenceNode)root["configs"])[0];
        Assert.That(((YamlScalarNode)config["config_name"]).Value, Is.EqualTo("default"));
        var files = (YamlMappingNode)((YamlSequenceNode)config["data_files"])[0];
        Assert.That((((YamlScalarNode)files["split"]).Value, ((YamlScalarNode)files["path"]).Value), Is.EqualTo(("train", "data/train-*")));
        Assert.That(card, Does.Contain("| review_analysis | task | ReviewAnalysisTask | scripted-model (scripted) | 3,000 | 3,000 |").And.Contain("The overall tone of the review."));
        Assert.That(card, Does.Contain("| `ratings` | `list<double>` | 0..5 each |  |"), "the rules a run checked are in the card");

        var description = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "distil-pipeline.json")))!;
        Assert.That((long)description["rows"]!, Is.EqualTo(Rows));
        Assert.That(description["steps"]!.AsArray().Select(s => (string?)s!["name"]), Is.EqualTo(new[] { "load_data", "review_analysis" }));

        using var duck = new DuckDBConnection("Data Source=:memory:");
        duck.Open();
        using var command = duck.CreateCommand();
        command.CommandText = $"SELECT count(*), count(DISTINCT id), min(id), max(id), sum(CASE WHEN aspects[1].rating = id % 5 THEN 1 ELSE 0 END)::BIGINT FROM read_parquet('{folder}/data/*.parquet')";
        using var reader = command.ExecuteReader();
        Assert.That(reader.Read());
        Assert.That(Enumerable.Range(0, 5).Select(i => long.Parse(reader.GetValue(i).ToString()!)), Is.EqualTo(new long[] { Rows, Rows, 0, Rows - 1, Rows }));
    }

    // Each feature flattened to "name: type" in the notation of ColumnType.ToString (an enum is text).
    private static List<string> Features(YamlSequenceNode features) =>
        features.Children.Cast<YamlMappingNode>().Select(f => $"{((YamlScalarNode)f["name"]).Value}: {TypeOf(f)}").ToList();

    private static string TypeOf(YamlMappingNode feature)
    {
        if (feature.Children.TryGetValue(new YamlScalarNode("dtype"), out var dtype)) return Scalar(((YamlScalarNode)dtype).Value!);
        if (feature.Children.TryGetValue(new YamlScalarNode("struct"), out var fields)) return $"struct<{string.Join(", ", Features((YamlSequenceNode)fields))}>";
        return "list<" + ItemOf(feature[new YamlScalarNode("list")]) + ">";
    }

    private static string ItemOf(YamlNode item) => item switch
    {
        YamlScalarNode scalar => Scalar(scalar.Value!),
        YamlSequenceNode fields => $"struct<{string.Join(", ", Features(fields))}>",
        YamlMappingNode nested => "list<" + ItemOf(nested[new YamlScalarNode("list")]) + ">",
        _ => "?",
    };

    private static string Scalar(string dtype) => dtype switch { "int64" => "int64", "float64" => "double", "bool" => "bool", _ => "string" };

    private static string Expected(ColumnType type) => type.Kind switch
    {
        ColumnKind.List => $"list<{Expected(type.Element!)}>",
        ColumnKind.Struct => $"struct<{string.Join(", ", type.Fields.Select(f => $"{f.Name}: {Expected(f.Type)}"))}>",
        ColumnKind.Integer => "int64",
        ColumnKind.Number => "double",
        ColumnKind.Boolean => "bool",
        _ => "string",
    };
}

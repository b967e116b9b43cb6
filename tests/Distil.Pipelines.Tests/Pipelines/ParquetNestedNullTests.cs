using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Distil.Pipelines;
using Distil.Tests.Support;
using DuckDB.NET.Data;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// Nulls at every depth of nested Parquet values (lists of lists, lists of structs, structs with
/// lists): what Distil writes, DuckDB and Distil's own reader read back unchanged; what DuckDB
/// writes, Distil reads unchanged.
/// </summary>
public class ParquetNestedNullTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void CreateFolder() => _temp = new TempFolder("distil-nested-");

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    private static readonly ColumnType Turn = ColumnType.StructOf(new Column("role", ColumnType.String), new Column("score", ColumnType.Integer));

    [Test]
    public async Task A_list_of_structs_whose_first_item_is_null_keeps_every_item()
    {
        var file = Path.Combine(_temp.Path, "turns.parquet");
        var schema = new RowSchema(new Column("turns", ColumnType.ListOf(Turn)));
        JsonObject[] rows =
        [
            new() { ["turns"] = JsonNode.Parse("""[null,{"role":"user","score":1},{"role":null,"score":null}]""") },
            new() { ["turns"] = JsonNode.Parse("""[{"role":"assistant","score":2},null]""") },
            new() { ["turns"] = JsonNode.Parse("""[null]""") },
        ];

        await WriteAsync(file, schema, rows);

        Assert.That(DuckJson(file, schema), Is.EqualTo(rows.Select(r => r.ToJsonString())), "DuckDB reads every item, the null first one too");
        Assert.That(await DistilJson(file), Is.EqualTo(rows.Select(r => r.ToJsonString())));
    }

    [Test]
    public async Task Nulls_inside_nested_lists_and_structs_read_back_through_Distil()
    {
        var file = Path.Combine(_temp.Path, "nested.parquet");
        var schema = new RowSchema(
            new Column("ratings", ColumnType.ListOf(ColumnType.ListOf(ColumnType.Number))),
            new Column("source", ColumnType.StructOf(new Column("tags", ColumnType.ListOf(ColumnType.String)), new Column("turn", Turn))));
        JsonObject[] rows =
        [
            new() { ["ratings"] = JsonNode.Parse("[[1.5,null],null,[]]"), ["source"] = JsonNode.Parse("""{"tags":["a",null],"turn":null}""") },
            new() { ["ratings"] = JsonNode.Parse("[null,[null]]"), ["source"] = JsonNode.Parse("""{"tags":null,"turn":{"role":null,"score":3}}""") },
            new() { ["ratings"] = null, ["source"] = null },
        ];

        await WriteAsync(file, schema, rows);

        Assert.That(await DistilJson(file), Is.EqualTo(rows.Select(r => r.ToJsonString())));
        Assert.That(DuckJson(file, schema), Is.EqualTo(rows.Select(r => r.ToJsonString())));
    }

    [Test]
    public async Task Nested_nulls_in_a_file_DuckDB_wrote_read_back_through_Distil()
    {
        var file = Path.Combine(_temp.Path, "duck.parquet");
        using (var duck = Open())
        {
            Execute(duck, $$"""
                COPY (SELECT * FROM (VALUES
                    (1, [[1.5, NULL], NULL, []]::DOUBLE[][], [NULL, {'role': 'user', 'n': [NULL, 2]}]),
                    (2, NULL, [{'role': NULL, 'n': NULL}]),
                    (3, [[NULL]]::DOUBLE[][], []))
                  AS t(id, ratings, turns)) TO '{{file}}' (FORMAT parquet)
                """);
        }

        Assert.That(await DistilJson(file), Is.EqualTo(new[]
        {
            """{"id":1,"ratings":[[1.5,null],null,[]],"turns":[null,{"role":"user","n":[null,2]}]}""",
            """{"id":2,"ratings":null,"turns":[{"role":null,"n":null}]}""",
            """{"id":3,"ratings":[[null]],"turns":[]}""",
        }));
    }

    // Column types up to three levels deep: scalars of each kind, lists (not of lists of lists,
    // which are kept as JSON text), structs of one to three fields.
    private static readonly Gen<ColumnType> Types = Gen.Recursive<ColumnType>((depth, self) =>
    {
        ColumnType[] kinds = [ColumnType.Integer, ColumnType.Number, ColumnType.Boolean, ColumnType.String];
        var scalars = Gen.Int[0, kinds.Length - 1].Select(i => kinds[i]);
        if (depth >= 3) return scalars;
        return Gen.OneOf(
            scalars,
            self.Where(t => !(t.Kind == ColumnKind.List && t.Element!.Kind == ColumnKind.List)).Select(ColumnType.ListOf),
            self.Array[1, 3].Select(fields => ColumnType.StructOf(fields.Select((t, i) => new Column($"f{i}", t)))));
    });

    // A value of the type, or null about one time in four, at every depth.
    private static Gen<JsonNode?> ValueOf(ColumnType type)
    {
        Gen<JsonNode?> value = type.Kind switch
        {
            ColumnKind.Integer => Gen.Long.Select(n => (JsonNode?)n),
            ColumnKind.Number => Gen.Double[-1e9, 1e9].Select(d => (JsonNode?)d),
            ColumnKind.Boolean => Gen.Bool.Select(b => (JsonNode?)b),
            ColumnKind.String => Gen.Char['\u0020', '\u07ff'].Array[0, 6].Select(c => (JsonNode?)new string(c)),
            ColumnKind.List => ValueOf(type.Element!).Array[0, 4].Select(items => (JsonNode?)new JsonArray(items)),
            _ => All(type.Fields.Select(f => ValueOf(f.Type))).Select(values =>
                (JsonNode?)new JsonObject(type.Fields.Zip(values, (f, v) => KeyValuePair.Create(f.Name, v)))),
        };
        return Gen.Int[0, 3].SelectMany(n => n == 0 ? Gen.Const((JsonNode?)null) : value);
    }

    // One value from each generator, in order.
    private static Gen<List<T>> All<T>(IEnumerable<Gen<T>> gens) =>
        gens.Aggregate(Gen.Int[0, 0].Select(_ => new List<T>()), (list, gen) => list.SelectMany(items => gen.Select(item => (List<T>)[.. items, item])));

    private static readonly Gen<(RowSchema Schema, JsonObject[] Rows)> Datasets =
        Types.Array[1, 3].SelectMany(types =>
        {
            var schema = new RowSchema(types.Select((t, i) => new Column($"c{i}", t)));
            var row = All(types.Select(ValueOf)).Select(values =>
                new JsonObject(schema.Zip(values, (c, v) => KeyValuePair.Create(c.Name, v))));
            return row.Array[1, 6].Select(rows => (schema, rows));
        });

    [Test]
    public void Random_nested_values_with_nulls_at_every_depth_read_back_equal_through_DuckDB_and_Distil()
    {
        using var duck = Open();
        var file = Path.Combine(_temp.Path, "random.parquet");
        Datasets.Sample(data =>
        {
            // Two rows a row group: the later groups are appended to the file.
            new ParquetRowSink(file, rowGroupSize: 2).WriteAsync(data.Rows.ToAsyncEnumerable(), new RowSinkContext { Schema = data.Schema }, CancellationToken.None)
                .GetAwaiter().GetResult();
            var expected = data.Rows.Select(r => r.ToJsonString()).ToList();
            var duckRows = DuckJson(duck, file, data.Schema);
            var distilRows = DistilJson(file).GetAwaiter().GetResult();
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.That(SameJson(JsonNode.Parse(duckRows[i]), data.Rows[i]), $"DuckDB read row {i} as {duckRows[i]}, written {expected[i]}");
                Assert.That(SameJson(JsonNode.Parse(distilRows[i]), data.Rows[i]), $"Distil read row {i} as {distilRows[i]}, written {expected[i]}");
            }
            Assert.That(duckRows, Has.Count.EqualTo(expected.Count));
            Assert.That(distilRows, Has.Count.EqualTo(expected.Count));
        }, iter: 100, threads: 1, seed: null, print: data => string.Join("\n", data.Schema.Select(c => $"{c.Name}: {c.Type}").Concat(data.Rows.Select(r => r.ToJsonString()))));
    }

    // Equal JSON, numbers by value (DuckDB writes 2.0 as 2.0, Distil as 2).
    private static bool SameJson(JsonNode? a, JsonNode? b) => (a, b) switch
    {
        (null, null) => true,
        (JsonArray x, JsonArray y) => x.Count == y.Count && x.Zip(y).All(p => SameJson(p.First, p.Second)),
        (JsonObject x, JsonObject y) => x.Count == y.Count && x.All(p => y.TryGetPropertyValue(p.Key, out var other) && SameJson(p.Value, other)),
        (JsonValue x, JsonValue y) when x.GetValueKind() == JsonValueKind.Number && y.GetValueKind() == JsonValueKind.Number =>
            long.TryParse(x.ToJsonString(), out var i) && long.TryParse(y.ToJsonString(), out var j)
                ? i == j
                : double.Parse(x.ToJsonString(), CultureInfo.InvariantCulture) == double.Parse(y.ToJsonString(), CultureInfo.InvariantCulture),
        (JsonValue x, JsonValue y) => x.ToJsonString() == y.ToJsonString(),
        _ => false,
    };

    private static Task WriteAsync(string file, RowSchema schema, JsonObject[] rows) =>
        new ParquetRowSink(file).WriteAsync(rows.ToAsyncEnumerable(), new RowSinkContext { Schema = schema }, CancellationToken.None);

    private static async Task<List<string>> DistilJson(string file)
    {
        var rows = new List<string>();
        await foreach (var row in RowSources.Parquet(file).ReadAsync(CancellationToken.None)) rows.Add(row.ToJsonString());
        return rows;
    }

    private static List<string> DuckJson(string file, RowSchema schema)
    {
        using var duck = Open();
        return DuckJson(duck, file, schema);
    }

    // Each row as DuckDB reads it, one JSON object in the file's row order.
    private static List<string> DuckJson(DuckDBConnection duck, string file, RowSchema schema)
    {
        using var command = duck.CreateCommand();
        var members = string.Join(", ", schema.Select(c => $"'{c.Name}', \"{c.Name}\""));
        command.CommandText = $"SELECT json_object({members})::VARCHAR FROM read_parquet('{file}', file_row_number = true) ORDER BY file_row_number";
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read()) rows.Add(reader.GetString(0));
        return rows;
    }

    private static DuckDBConnection Open()
    {
        var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        return connection;
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

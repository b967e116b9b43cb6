using System.Reflection;
using System.Text.Json.Nodes;
using Distil.Cli;
using Distil.Pipelines;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Pipelines.Formats;

/// <summary>
/// The file-format seam: a format registered by a program is used by <see cref="RowSources.File"/>,
/// <see cref="RowSinks.File"/> and pipeline files; CSV is there only with Distil.Csv, registered by the
/// generator's module initializer; and <see cref="FileRowSink"/> keeps the old file when a write fails.
/// </summary>
[NonParallelizable] // the registry is process-wide; one test takes CSV out and puts it back
public class RowFileFormatTests
{
    private TempFolder _temp = null!;

    [OneTimeSetUp]
    public void RegisterTsv() => RowFileFormats.Register(new TsvFormat());

    [OneTimeTearDown]
    public void UnregisterTsv() => RowFileFormats.Unregister("tsv");

    [SetUp]
    public void CreateWorkFolder() => _temp = new TempFolder("distil-formats-");

    [TearDown]
    public void DeleteWorkFolder() => _temp.Dispose();

    private static JsonObject[] Texts() => [new() { ["text"] = "hi", ["n"] = 1 }, new() { ["text"] = "bye", ["n"] = 2 }];

    [Test]
    public async Task A_registered_format_is_read_and_written_by_extension()
    {
        var path = Path.Combine(_temp.Path, "texts.tsv");
        var pipeline = Pipeline.Create("tsv");
        pipeline.RunDirectory = Path.Combine(_temp.Path, "run");
        pipeline.Load(Texts()).Write(RowSinks.File(path));
        await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        Assert.That(File.ReadAllText(path), Is.EqualTo("text\tn\nhi\t1\nbye\t2\n"));
        Assert.That(RowSources.File(path), Is.TypeOf<TsvRowSource>());
        var back = await RowSources.File(path).ReadAsync(CancellationToken.None).ToListAsync();
        Assert.That(back.Select(r => (string?)r["text"]), Is.EqualTo(new[] { "hi", "bye" }));
        Assert.That(RowFileFormats.Named("TSV"), Is.TypeOf<TsvFormat>());
        Assert.That(Directory.GetFiles(_temp.Path), Is.EqualTo(new[] { path }), "no temporary or spool file is left");
    }

    [Test]
    public async Task A_pipeline_file_loads_and_writes_a_registered_format()
    {
        File.WriteAllText(Path.Combine(_temp.Path, "texts.tsv"), "text\tlevel\nhi\t1\nbye\t2\n");
        var file = Path.Combine(_temp.Path, "pipeline.json");
        File.WriteAllText(file, """
            {
              "name": "copy",
              "steps": [
                { "name": "texts", "load": "texts.tsv" },
                { "name": "keep", "keep_columns": ["text"], "after": "texts" },
                { "name": "out", "write": "out.tsv", "after": "keep" }
              ]
            }
            """);

        var pipeline = PipelineFile.Load(file, null, Path.Combine(_temp.Path, "run"), _ => throw new AssertionException("no task here"));
        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });

        Assert.That(result.Completed, Is.True);
        Assert.That(File.ReadAllText(Path.Combine(_temp.Path, "out.tsv")), Is.EqualTo("text\nhi\nbye\n"));
    }

    [Test]
    public void A_csv_path_without_the_csv_format_names_the_Distil_Csv_package()
    {
        Assert.That(RowFileFormats.Unregister("csv"), Is.True, "the generator registered CSV in this test assembly");
        try
        {
            Assert.That(() => RowSources.File("rows.csv"), Throws.ArgumentException.With.Message.Contains("needs the Distil.Csv package").And.Message.Contains("dotnet add package Distil.Csv"));
            Assert.That(() => RowSinks.File("rows.csv"), Throws.ArgumentException.With.Message.Contains("Distil.Csv"));
            Assert.That(() => RowFileFormats.Named("csv"), Throws.ArgumentException.With.Message.Contains("comes with the Distil.Csv package"));

            File.WriteAllText(Path.Combine(_temp.Path, "rows.csv"), "text\nhi\n");
            var file = Path.Combine(_temp.Path, "pipeline.json");
            File.WriteAllText(file, """{ "name": "p", "steps": [ { "name": "rows", "load": "rows.csv" }, { "name": "out", "write": "out.jsonl", "after": "rows" } ] }""");
            var error = Assert.Throws<UsageException>(() => PipelineFile.Load(file, null, Path.Combine(_temp.Path, "run"), _ => null!))!;
            Assert.That(error.Message, Does.Contain(file).And.Contain("needs the Distil.Csv package"));
        }
        finally
        {
            RowFileFormats.Register(new CsvFileFormat());
        }
    }

    [Test]
    public void The_generator_registers_the_formats_of_referenced_packages()
    {
        // This assembly references Distil.Csv; the generator wrote a module initializer that registers its format.
        var registration = typeof(RowFileFormatTests).Assembly.GetType("Distil.Generated.RowFileFormatRegistration");
        Assert.That(registration, Is.Not.Null, "the generator wrote the registration");
        RowFileFormats.Unregister("csv");
        try
        {
            registration!.GetMethod("Register", BindingFlags.Static | BindingFlags.NonPublic)!.Invoke(null, null);
            Assert.That(RowSources.File("rows.csv"), Is.TypeOf<CsvRowSource>());
            Assert.That(RowSinks.File("rows.csv"), Is.TypeOf<CsvRowSink>());
        }
        finally
        {
            RowFileFormats.Register(new CsvFileFormat());
        }
    }

    [TestCase("tsv")]
    [TestCase("csv")]
    public async Task A_failed_write_keeps_the_old_file_and_leaves_no_temporary_one(string extension)
    {
        var path = Path.Combine(_temp.Path, "texts." + extension);
        File.WriteAllText(path, "old\n");

        var error = Assert.ThrowsAsync<InvalidOperationException>(() => RowSinks.File(path).WriteAsync(Failing(), CancellationToken.None))!;

        Assert.That(error.Message, Is.EqualTo("the rows stop here"));
        Assert.That(File.ReadAllText(path), Is.EqualTo("old\n"));
        Assert.That(Directory.GetFiles(_temp.Path), Is.EqualTo(new[] { path }), "no .tmp or .spool file is left");
        await Task.CompletedTask;

        static async IAsyncEnumerable<JsonObject> Failing()
        {
            yield return new JsonObject { ["text"] = "new" };
            await Task.Yield();
            throw new InvalidOperationException("the rows stop here");
        }
    }

    [Test]
    public async Task A_sink_implements_only_the_typed_method_and_the_context_free_one_passes_an_empty_context()
    {
        IRowSink sink = new ContextRecorder();

        await sink.WriteAsync(Texts().ToAsyncEnumerable(), CancellationToken.None);

        Assert.That(((ContextRecorder)sink).Seen, Is.Not.Null);
        Assert.That(((ContextRecorder)sink).Seen!.Schema, Is.Null);
    }

    private sealed class ContextRecorder : IRowSink
    {
        public RowSinkContext? Seen { get; private set; }

        public string Describe() => "a recorder";

        public Task WriteAsync(IAsyncEnumerable<JsonObject> rows, RowSinkContext context, CancellationToken cancellationToken)
        {
            Seen = context;
            return Task.CompletedTask;
        }
    }
}

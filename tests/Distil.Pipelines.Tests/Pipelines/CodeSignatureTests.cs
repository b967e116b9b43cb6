using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>
/// The signature of a <c>Map</c>/<c>Filter</c> function on a real compiled consumer: its program
/// is compiled with Roslyn (deterministic emit, as <c>dotnet build</c> does) into an assembly
/// loaded on its own, edited, compiled again, and the two signatures compared. An edit elsewhere
/// must keep the signature; an edit to what the function does must change it.
/// </summary>
[TestFixture(OptimizationLevel.Debug)]
[TestFixture(OptimizationLevel.Release)]
public class CodeSignatureTests(OptimizationLevel optimization)
{
    // The consumer: top-level code with the Map function, a helper in another file, a pipeline
    // (load, Map, write) it runs when given files. Edits below replace one marked piece.
    private const string Program = """
        using System.Text.Json.Nodes;
        using Distil.Pipelines;
        using Consumer;

        /*TOP*/
        Func<JsonObject, JsonObject> shout = row =>
        {
            var text = row["text"]!.GetValue<string>();
            row["loud"] = Words.Exclaim(text.ToUpperInvariant());
            row["letters"] = new string(text.Where(c => c != ' ').ToArray());
            row["parts"] = string.Join("|", Words.Parts(text).Where(p => !Words.Stop.Contains(p)));
            return row;
        };
        Hooks.Map = shout;
        Hooks.Keep = row => row["text"]!.GetValue<string>().Length > 3;
        var prefix = "#";
        Hooks.Tag = row => { row["tag"] = prefix + row["text"]!.GetValue<string>(); return row; };
        /*BOTTOM*/
        if (args.Length == 3)
        {
            var pipeline = Pipeline.Create("consumer");
            pipeline.RunDirectory = args[2];
            pipeline.Load(RowSources.Jsonl(args[0])).Map(shout, reads: ["text"], writes: ["loud", "letters", "parts"], name: "shout")
                .Write(RowSinks.Jsonl(args[1]));
            await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
        }
        """;

    private const string Helpers = """
        using System.Text.Json.Nodes;
        namespace Consumer;

        public static class Hooks
        {
            public static Func<JsonObject, JsonObject>? Map;
            public static Func<JsonObject, bool>? Keep;
            public static Func<JsonObject, JsonObject>? Tag;
        }

        public static class Words
        {
            /*HELPERS*/
            public static string Exclaim(string text) => text + "!";
            public static readonly HashSet<string> Stop = new() { "the", "a" };
            public static IEnumerable<string> Parts(string text)
            {
                foreach (var part in text.Split(' ')) yield return part.Trim('.');
            }
        }
        """;

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());

    private TempFolder _temp = null!;

    [SetUp]
    public void CreateRunFolder() => _temp = new TempFolder("distil-codesig-");

    [TearDown]
    public void DeleteRunFolder() => _temp.Dispose();

    // ---- edits that do not change what the function does ----

    [Test]
    public void A_console_line_at_the_top_of_the_program_keeps_the_signature() =>
        AssertSame(Edit(top: """Console.WriteLine("Starting the consumer run");"""));

    [Test]
    public void An_unrelated_lambda_before_the_function_keeps_the_signature() =>
        AssertSame(Edit(top: """
            Func<int, string> twice = n => (n * 2).ToString();
            Console.WriteLine(twice(21).ToLowerInvariant());
            var names = new[] { "b", "a" }.OrderBy(s => s).Select(s => s + "?").ToList();
            """));

    [Test]
    public void An_unrelated_method_and_class_with_their_own_lambdas_keep_the_signature() =>
        AssertSame(Edit(helpers: """
            public static string Unrelated(string text) => string.Concat(text.Select(c => char.ToLowerInvariant(c)));
            private sealed class Other { public int Count(string s) => s.Count(c => c == 'x'); }
            """, extraFile: """
            namespace Consumer.More;
            public static class Extra
            {
                public static string Hello() => "hello".ToUpperInvariant();
                public static Func<string, string> Lower = s => s.ToLowerInvariant();
            }
            """));

    [Test]
    public void Shifted_lines_and_comments_keep_the_signature() =>
        AssertSame(Edit(top: "\n\n\n// a comment that moves every line down\n\n", helpers: "// and another\n\n\n"));

    [Test]
    public void Swapping_the_order_of_the_source_files_keeps_the_signature()
    {
        var original = Compile(Program, Helpers);
        var swapped = Compile(Helpers, Program);
        Assert.That(swapped.Map, Is.EqualTo(original.Map));
        Assert.That(swapped.Keep, Is.EqualTo(original.Keep));
    }

    [Test]
    public void An_unrelated_anonymous_type_and_record_before_the_function_keep_the_signature()
    {
        var withAnonymous = Program.Replace("row[\"loud\"] = Words.Exclaim(text.ToUpperInvariant());",
            "var shape = new { Loud = text.ToUpperInvariant(), Size = text.Length }; row[\"loud\"] = Words.Exclaim(shape.Loud);");
        Assert.That(withAnonymous, Is.Not.EqualTo(Program));
        var original = Compile(withAnonymous, Helpers);
        var edited = Compile(WithMarks(withAnonymous, top: "var early = new { Name = \"x\", Size = 2 }; Console.WriteLine(early.Name);"),
            Helpers.Replace("/*HELPERS*/", "public sealed record Unused(string A, int B);"));
        Assert.That(edited, Is.EqualTo(original));
    }

    [Test]
    public void Code_added_after_the_function_keeps_the_signature() =>
        AssertSame(Edit(bottom: """Console.WriteLine(string.Join(",", new[] { 1, 2, 3 }.Select(i => i * i)));"""));

    [Test]
    public void The_same_source_compiled_twice_gives_the_same_signature() =>
        AssertSame(Compile(Program, Helpers));

    // ---- edits that change what the function does ----

    [Test]
    public void Upper_case_changed_to_lower_case_changes_the_signature() =>
        AssertDifferent(Edit(replace: ("text.ToUpperInvariant()", "text.ToLowerInvariant()")), keepChanges: false);

    [Test]
    public void A_changed_body_of_a_helper_it_calls_changes_the_signature() =>
        AssertDifferent(Edit(replace: ("""text + "!";""", """text + "?";""")), keepChanges: false);

    [Test]
    public void A_changed_iterator_it_calls_changes_the_signature() =>
        AssertDifferent(Edit(replace: ("part.Trim('.')", "part.Trim(',')")), keepChanges: false);

    [Test]
    public void A_changed_initializer_of_a_static_readonly_field_it_reads_changes_the_signature() =>
        AssertDifferent(Edit(replace: ("""{ "the", "a" }""", """{ "the", "an" }""")), keepChanges: false);

    [Test]
    public void A_changed_string_literal_changes_the_signature() =>
        AssertDifferent(Edit(replace: ("""row["loud"]""", """row["shout"]""")), keepChanges: false);

    [Test]
    public void A_changed_nested_lambda_changes_the_signature() =>
        AssertDifferent(Edit(replace: ("c != ' '", "c != '-'")), keepChanges: false);

    [Test]
    public void A_closure_keeps_its_signature_when_its_captured_value_changes_or_another_closure_is_added_before_it()
    {
        var original = Compile(Program, Helpers);
        var edited = Edit(top: """
            var count = 3;
            Func<int> more = () => count + 1;
            Console.WriteLine(more());
            """, replace: ("var prefix = \"#\";", "var prefix = \"@\";"));
        Assert.That(edited.Tag, Is.EqualTo(original.Tag), "captured values are data, not code");
    }

    [Test]
    public void A_changed_closure_body_changes_its_signature()
    {
        var original = Compile(Program, Helpers);
        var edited = Edit(replace: ("prefix + row[\"text\"]!.GetValue<string>()", "row[\"text\"]!.GetValue<string>() + prefix"));
        Assert.That(edited.Tag, Is.Not.EqualTo(original.Tag));
        Assert.That(edited.Map, Is.EqualTo(original.Map));
    }

    [Test]
    public void A_changed_filter_changes_its_signature_only()
    {
        var original = Compile(Program, Helpers);
        var edited = Edit(replace: ("Length > 3", "Length > 4"));
        Assert.That(edited.Keep, Is.Not.EqualTo(original.Keep));
        Assert.That(edited.Map, Is.EqualTo(original.Map));
    }

    [Test]
    public void A_named_method_counts_by_its_name_and_body_and_a_lambda_by_its_body_only()
    {
        var compiled = Compile(Program, Helpers);
        Assert.That(compiled.Map, Does.StartWith("lambda:"));
        var named = Edit(replace: ("Hooks.Map = shout;", "Hooks.Map = Words.Shout;"),
            helpers: """public static JsonObject Shout(JsonObject row) { row["loud"] = Exclaim(row["text"]!.GetValue<string>()); return row; }""");
        Assert.That(named.Map, Does.StartWith("Consumer.Words.Shout:"));
    }

    [Test]
    public void Fifty_functions_sign_in_milliseconds()
    {
        var lambdas = string.Join("\n", Enumerable.Range(0, 50).Select(i =>
            $$"""Hooks.All.Add(row => { row["c{{i}}"] = Words.Exclaim(row["text"]!.GetValue<string>().Trim() + "{{i}}"); return row; });"""));
        var source = Program.Replace("/*TOP*/", lambdas);
        var helpers = Helpers.Replace("public static Func<JsonObject, bool>? Keep;",
            "public static Func<JsonObject, bool>? Keep; public static List<Func<JsonObject, JsonObject>> All = new();");
        var context = new AssemblyLoadContext("codesig-many", isCollectible: true);
        try
        {
            var hooks = LoadAndRun(context, Emit(source, helpers), []);
            var all = (List<Func<JsonObject, JsonObject>>)hooks.GetField("All")!.GetValue(null)!;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var signatures = all.Select(f => SignatureOf(f)).ToList();
            watch.Stop();
            TestContext.Out.WriteLine($"50 functions signed in {watch.Elapsed.TotalMilliseconds:F1} ms");
            Assert.That(signatures.Distinct().Count(), Is.EqualTo(50), "each lambda has its own string literal");
            Assert.That(watch.ElapsedMilliseconds, Is.LessThan(500), "50 functions signed (first time, uncached)");
        }
        finally
        {
            context.Unload();
        }
    }

    // ---- the step's signature in a real run: load, Map, write ----

    [Test]
    public async Task A_rebuilt_consumer_keeps_its_map_steps_signature_after_an_unrelated_edit_and_changes_it_after_a_body_edit()
    {
        var input = Path.Combine(_temp.Path, "input.jsonl");
        await File.WriteAllLinesAsync(input, ["""{"text":"hello there"}""", """{"text":"good day"}"""]);

        var original = await RunStepSignatures(Program, Helpers, input, "original");
        var unrelated = await RunStepSignatures(WithMarks(Program, top: """Console.WriteLine("Starting the consumer run"); Func<int, int> twice = n => n * 2;"""), Helpers, input, "unrelated");
        var lower = await RunStepSignatures(Program.Replace("text.ToUpperInvariant()", "text.ToLowerInvariant()"), Helpers, input, "lower");

        Assert.That(original.Keys, Does.Contain("shout"));
        Assert.That(unrelated["shout"], Is.EqualTo(original["shout"]), "an unrelated edit keeps the Map step's signature");
        Assert.That(lower["shout"], Is.Not.EqualTo(original["shout"]), "a changed Map body changes it");
        // The store keeps every step's signature (a loader's and a writer's too, so a rerun can name what changed upstream).
        Assert.That(lower["load_data"], Is.EqualTo(original["load_data"]), "the step before it keeps its signature");
        Assert.That(lower["write"], Is.Not.EqualTo(original["write"]), "the step after it changes with it");
        Assert.That(await File.ReadAllTextAsync(Path.Combine(_temp.Path, "lower.jsonl")), Does.Contain("hello there!").And.Not.Contain("HELLO"));
    }

    // Runs the compiled consumer's program (load, Map, write) in a run directory of its own, and
    // reads the steps' signatures its run store kept.
    private async Task<Dictionary<string, string>> RunStepSignatures(string program, string helpers, string input, string label)
    {
        var runDirectory = Path.Combine(_temp.Path, label);
        var context = new AssemblyLoadContext("codesig-" + label, isCollectible: true);
        try
        {
            var assembly = context.LoadFromStream(new MemoryStream(Emit(program, helpers)));
            var result = assembly.EntryPoint!.Invoke(null, [new[] { input, Path.Combine(_temp.Path, label + ".jsonl"), runDirectory }]);
            if (result is Task task) await task;
        }
        finally
        {
            context.Unload();
        }
        var signatures = new Dictionary<string, string>();
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(runDirectory, "distil-run.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT step, signature FROM steps";
        using var reader = command.ExecuteReader();
        while (reader.Read()) signatures[reader.GetString(0)] = reader.GetString(1);
        return signatures;
    }

    // ---- helpers ----

    private sealed record Signatures(string Map, string Keep, string Tag);

    private void AssertSame(Signatures edited)
    {
        var original = Compile(Program, Helpers);
        Assert.That(edited.Map, Is.EqualTo(original.Map), "the Map function's signature");
        Assert.That(edited.Keep, Is.EqualTo(original.Keep), "the Filter function's signature");
        Assert.That(edited.Tag, Is.EqualTo(original.Tag), "the closure's signature");
    }

    private void AssertDifferent(Signatures edited, bool keepChanges)
    {
        var original = Compile(Program, Helpers);
        Assert.That(edited.Map, Is.Not.EqualTo(original.Map), "the Map function's signature");
        if (!keepChanges) Assert.That(edited.Keep, Is.EqualTo(original.Keep), "the untouched Filter function's signature");
    }

    private Signatures Edit(string? top = null, string? bottom = null, string? helpers = null, string? extraFile = null, (string From, string To)? replace = null)
    {
        var program = WithMarks(Program, top, bottom);
        var helperSource = helpers is null ? Helpers : Helpers.Replace("/*HELPERS*/", helpers);
        if (replace is { } r)
        {
            Assert.That(program.Contains(r.From) || helperSource.Contains(r.From), $"the edit's text '{r.From}' is in the consumer");
            program = program.Replace(r.From, r.To);
            helperSource = helperSource.Replace(r.From, r.To);
        }
        return extraFile is null ? Compile(program, helperSource) : Compile(program, helperSource, extraFile);
    }

    internal static string WithMarks(string program, string? top = null, string? bottom = null) =>
        program.Replace("/*TOP*/", top ?? "").Replace("/*BOTTOM*/", bottom ?? "");

    private Signatures Compile(params string[] sources)
    {
        var context = new AssemblyLoadContext("codesig", isCollectible: true);
        try
        {
            var hooks = LoadAndRun(context, Emit(sources), []);
            var map = (Delegate)hooks.GetField("Map")!.GetValue(null)!;
            var keep = (Delegate)hooks.GetField("Keep")!.GetValue(null)!;
            var tag = (Delegate)hooks.GetField("Tag")!.GetValue(null)!;
            return new Signatures(SignatureOf(map), SignatureOf(keep), SignatureOf(tag));
        }
        finally
        {
            context.Unload();
        }
    }

    // Runs the program's top-level code (which only stores its functions when given no files).
    private static Type LoadAndRun(AssemblyLoadContext context, byte[] image, string[] args)
    {
        var assembly = context.LoadFromStream(new MemoryStream(image));
        var result = assembly.EntryPoint!.Invoke(null, [args]);
        (result as Task)?.GetAwaiter().GetResult();
        return assembly.GetType("Consumer.Hooks", throwOnError: true)!;
    }

    private byte[] Emit(params string[] sources) => Emit(optimization, sources);

    /// <summary>Compiles a consumer's program as <c>dotnet build</c> does (deterministic), with the test's references.</summary>
    internal static byte[] Emit(OptimizationLevel optimization, params string[] sources)
    {
        var trees = sources.Select((s, i) => CSharpSyntaxTree.ParseText(WithMarks(s), new CSharpParseOptions(LanguageVersion.Latest), path: $"File{i}.cs"));
        var globalUsings = CSharpSyntaxTree.ParseText("global using System; global using System.Linq; global using System.Collections.Generic; global using System.Threading.Tasks;", path: "Usings.cs");
        var compilation = CSharpCompilation.Create("Consumer", [.. trees, globalUsings], References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, optimizationLevel: optimization, deterministic: true, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.That(emitted.Success, Is.True, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return image.ToArray();
    }

    // The code part of a step's signature (PipelineStep.CodeOf is internal to Distil).
    private static string SignatureOf(Delegate function) =>
        (string)typeof(PipelineStep).GetMethod("CodeOf", BindingFlags.NonPublic | BindingFlags.Static)!.Invoke(null, [function])!;
}

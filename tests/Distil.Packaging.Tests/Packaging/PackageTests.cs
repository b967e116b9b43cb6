using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json.Nodes;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Packaging;

/// <summary>
/// The packages as users get them: the solution packed to a folder; a fresh project outside the
/// repository that references the packages only declares a task, builds, runs — and fails to build
/// on a template typo; the distil tool installed from the folder runs against a local server.
/// </summary>
[TestFixture]
[NonParallelizable]
public class PackageTests
{
    private TempFolder _temp = null!;
    private string _feed = null!;
    private string _version = null!;

    [OneTimeSetUp]
    public void Pack()
    {
        _temp = new TempFolder("distil-package-");
        _feed = Path.Combine(_temp.Path, "feed");
        // A version of its own, so that no earlier package in the NuGet cache is used instead.
        _version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}";
        // As a release would: the whole solution, to one folder.
        var pack = Dotnet(RepositoryRoot(), "pack", "Distil.Generated.sln", "-c", "Release", "-o", _feed, $"-p:Version={_version}");
        Assert.That(pack.ExitCode, Is.Zero, pack.Output);
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        try { _temp.Dispose(); } catch (IOException) { }
    }

    [Test]
    public void Package_carries_the_generator_with_Scriban_beside_it()
    {
        using var package = ZipFile.OpenRead(Path.Combine(_feed, $"Distil.{_version}.nupkg"));
        var entries = package.Entries.Select(e => e.FullName).ToList();

        Assert.That(entries, Does.Contain("analyzers/dotnet/cs/Distil.Generators.dll"));
        Assert.That(entries, Does.Contain("analyzers/dotnet/cs/Scriban.Signed.dll"));
        Assert.That(entries, Does.Contain("lib/net8.0/Distil.dll"));
        Assert.That(entries, Does.Contain("lib/net10.0/Distil.dll"));
        Assert.That(entries, Does.Contain("build/Distil.props"));
        Assert.That(entries, Does.Contain("build/Distil.targets").And.Contain("buildTransitive/Distil.targets"));
        Assert.That(entries, Does.Not.Contain("lib/netstandard2.0/Distil.Generators.dll"));
    }

    [Test]
    public void A_fresh_project_declares_builds_and_runs_a_task_from_the_package_alone()
    {
        var app = CreateApp("app", "Summarise {{ title }} in {{ max_words }} words:");

        var run = Dotnet(app, "run");

        Assert.That(run.ExitCode, Is.Zero, run.Output);
        Assert.That(run.Output, Does.Contain("SYSTEM: You summarise.|USER: Summarise Dune in 3 words:\\n- spice\\n- worms\\n"));
        Assert.That(run.Output, Does.Contain("PARSED: Output { Summary = x, WordCount = 3 }"));
        Assert.That(run.Output, Does.Contain("ROWS: 2"));
        Assert.That(run.Output, Does.Contain("""ROW: {"title":"Dune","max_words":3,"key_points":["spice","worms"],"summary":"x","word_count":3,"model_name":"fake-model","distilabel_metadata":{"raw_output_summary":"{\"summary\":\"x\",\"word_count\":3}","raw_input_summary":[{"role":"system","content":"You summarise."},{"role":"user","content":"Summarise Dune in 3 words:\n- spice\n- worms\n"}],"statistics_summary":{"input_tokens":10,"output_tokens":4}}}"""));

        // The core package carries only what a task needs: no database, file format, console or evaluation library.
        var published = Path.Combine(app, "published");
        var publish = Dotnet(app, "publish", "-c", "Release", "-o", published);
        Assert.That(publish.ExitCode, Is.Zero, publish.Output);
        var files = Directory.GetFiles(published, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.That(files, Does.Contain("Distil.dll").And.Contain("Microsoft.Extensions.AI.Abstractions.dll"), "the publish folder is the app's");
        foreach (var unwanted in new[] { "sqlite", "parquet", "csvhelper", "spectre", "evaluation", "snappier", "zstd" })
        {
            Assert.That(files.Where(f => f!.Contains(unwanted, StringComparison.OrdinalIgnoreCase)), Is.Empty, $"nothing with '{unwanted}' in its name is published with a task-only program");
        }
    }

    [TestCase("Distil", true)]
    [TestCase("Distil.Pipelines", true)]
    [TestCase("Distil.Tasks", true)]
    [TestCase("Distil.OpenAI", true)]
    [TestCase("Distil.AzureOpenAI", true)]
    [TestCase("Distil.LlamaSharp", true)]
    [TestCase("Distil.Testing", true)]
    [TestCase("Distil.Validation", true)]
    [TestCase("Distil.USearch", true)]
    [TestCase("Distil.MiniLM", true)]
    [TestCase("Distil.Console", true)]
    [TestCase("Distil.Evaluation", true)]
    [TestCase("Distil.Csv", true)]
    [TestCase("Distil.Personas", true)]
    [TestCase("Distil.Mcp", true)]
    [TestCase("Distil.Documents", true)]
    [TestCase("Distil.Documents.Pdf", true)]
    [TestCase("Distil.View", true)]
    [TestCase("Distil.Cli", false)]
    public void Every_package_has_metadata_symbols_and_docs(string id, bool library)
    {
        using var package = ZipFile.OpenRead(Path.Combine(_feed, $"{id}.{_version}.nupkg"));
        var entries = package.Entries.Select(e => e.FullName).ToList();
        using var nuspec = new StreamReader(package.GetEntry($"{id}.nuspec")!.Open());
        var metadata = nuspec.ReadToEnd();

        Assert.That(metadata, Does.Contain("<description>").And.Contain("<license type=\"expression\">MIT</license>")
            .And.Contain("<readme>README.md</readme>").And.Contain("<repository type=\"git\" commit=\""));
        Assert.That(entries, Does.Contain("README.md"));
        Assert.That(File.Exists(Path.Combine(_feed, $"{id}.{_version}.snupkg")), "symbols package");
        if (library) Assert.That(entries, Does.Contain($"lib/net8.0/{id}.xml").And.Contain($"lib/net10.0/{id}.xml"), "XML docs");
        else Assert.That(entries, Does.Contain("tools/net10.0/any/Distil.Cli.dll").And.Contain("tools/net10.0/any/DotnetToolSettings.xml"));
        Assert.That(Directory.GetFiles(_feed, "*.nupkg").Select(Path.GetFileName),
            Has.None.Contains("Benchmarks").And.None.Contains("Samples").And.None.Contains("Tests").And.None.Contains("Generators"));
    }

    [Test]
    public void Microsoft_Extensions_AI_Evaluation_is_a_dependency_of_Distil_Evaluation_only()
    {
        string Nuspec(string id)
        {
            using var package = ZipFile.OpenRead(Path.Combine(_feed, $"{id}.{_version}.nupkg"));
            using var reader = new StreamReader(package.GetEntry($"{id}.nuspec")!.Open());
            return reader.ReadToEnd();
        }

        Assert.That(Nuspec("Distil"), Does.Not.Contain("id=\"Microsoft.Extensions.AI.Evaluation\""));
        Assert.That(Nuspec("Distil.Evaluation"), Does.Contain("id=\"Microsoft.Extensions.AI.Evaluation\"").And.Contain("id=\"Distil.Pipelines\""));
    }

    [Test]
    public void Only_the_Azure_package_depends_on_the_prerelease_Azure_SDK()
    {
        // Azure.AI.OpenAI is a beta: the packages of everyone who does not use Azure must not bring it.
        string Nuspec(string id)
        {
            using var package = ZipFile.OpenRead(Path.Combine(_feed, $"{id}.{_version}.nupkg"));
            using var reader = new StreamReader(package.GetEntry($"{id}.nuspec")!.Open());
            return reader.ReadToEnd();
        }

        Assert.That(Nuspec("Distil.OpenAI"), Does.Not.Contain("id=\"Azure.AI.OpenAI\"").And.Not.Contain("id=\"Azure.Core\""));
        Assert.That(Nuspec("Distil"), Does.Not.Contain("id=\"Azure."));
        Assert.That(Nuspec("Distil.AzureOpenAI"), Does.Contain("id=\"Azure.AI.OpenAI\"").And.Contain("id=\"Distil.OpenAI\""));
    }

    [Test]
    public async Task The_tool_installs_from_the_folder_and_runs_parses_and_refuses_bad_arguments()
    {
        var tools = Path.Combine(_temp.Path, "tools");
        var install = Dotnet(_temp.Path, "tool", "install", "--tool-path", tools, "--add-source", _feed, "Distil.Cli", "--version", _version);
        Assert.That(install.ExitCode, Is.Zero, install.Output);
        var distil = Path.Combine(tools, "distil");

        await using var server = await Distil.Testing.FakeOpenAIServer.StartAsync();
        server.Reply = Distil.Testing.FakeReplies.Answering(_ => "[1] Score: 5\n[2] Score: 1");
        var input = Path.Combine(_temp.Path, "tool-rows.jsonl");
        File.WriteAllLines(input, ["{\"instruction\":\"Name a colour.\",\"responses\":[\"Red.\",\"Loud.\"]}"]);
        var output = Path.Combine(_temp.Path, "tool-out.jsonl");
        var run = Run(distil, _temp.Path, "run", "--task", "quality_scorer", "--input", input, "--output", output,
            "--model", $"endpoint:{server.BaseUrl}#fake-model", "--run-dir", Path.Combine(_temp.Path, "tool-run"));
        Assert.That(run.ExitCode, Is.Zero, run.Output);
        Assert.That(JsonNode.Parse(File.ReadAllLines(output).Single())!["scores"]!.ToJsonString(), Is.EqualTo("[5,1]"));

        var parse = Run(distil, _temp.Path, "parse", "--task", "quality_scorer", "--row", "{\"instruction\":\"q\",\"responses\":[\"a\",\"b\"]}", "--text", "[1] Score: 4.0\n[2] Score: nope");
        Assert.That((parse.ExitCode, parse.Output.Trim()), Is.EqualTo((0, "{\"scores\":[4,null]}")));

        var bad = Run(distil, _temp.Path, "parse", "--task", "quality_scorer", "--text", "x");
        Assert.That(bad.ExitCode, Is.EqualTo(2));
        Assert.That(bad.Output.Trim(), Is.EqualTo("distil parse: --row is required, e.g. --row '{\"instruction\": \"...\"}'."));
    }

    [Test]
    public void The_tool_package_carries_llama_natives_once_in_its_runtimes_and_the_installed_tool_runs_a_local_model()
    {
        using (var package = ZipFile.OpenRead(Path.Combine(_feed, $"Distil.Cli.{_version}.nupkg")))
        {
            var entries = package.Entries.Select(e => e.FullName).ToList();
            // The backend's Content items once came in a second time, flattened: same names from different RIDs collided.
            Assert.That(entries, Has.None.StartsWith("content/").And.None.StartsWith("contentFiles/"));
            Assert.That(entries, Does.Contain("tools/net10.0/any/runtimes/linux-x64/native/avx2/libllama.so"));
        }

        var tools = Path.Combine(_temp.Path, "local-tools");
        var install = Dotnet(_temp.Path, "tool", "install", "--tool-path", tools, "--add-source", _feed, "Distil.Cli", "--version", _version);
        Assert.That(install.ExitCode, Is.Zero, install.Output);
        var input = Path.Combine(_temp.Path, "local-rows.jsonl");
        File.WriteAllLines(input, ["{\"instruction\":\"Name a colour.\"}"]);
        var output = Path.Combine(_temp.Path, "local-out.jsonl");
        var model = Path.Combine(RepositoryRoot(), "samples", "models", "llama-2-tiny-random.gguf");

        var run = Run(Path.Combine(tools, "distil"), _temp.Path, "run", "--task", "text_generation", "--input", input, "--output", output,
            "--model", $"local:{model}", "--run-dir", Path.Combine(_temp.Path, "local-run"));

        Assert.That(run.ExitCode, Is.Zero, run.Output);
        Assert.That(JsonNode.Parse(File.ReadAllLines(output).Single())!["generation"]!.GetValue<string>(), Is.Not.Empty);
    }

    [Test]
    public void A_fresh_project_with_the_Distil_and_Distil_Tasks_packages_runs_a_built_in_and_a_custom_task()
    {
        var app = CreateApp("withtasks", "Summarise {{ title }} in {{ max_words }} words:", withTasks: true);

        var run = Dotnet(app, "run");

        Assert.That(run.ExitCode, Is.Zero, run.Output);
        Assert.That(run.Output, Does.Contain("ROWS: 2"), "the custom task ran");
        Assert.That(run.Output, Does.Contain("BUILT-IN: {\"scores\":[6,3]}"), "the built-in task ran and parsed");
    }

    [Test]
    public void A_compiler_older_than_the_generator_needs_stops_the_build_with_a_clear_message()
    {
        var app = CreateApp("oldcompiler", "Summarise {{ title }} in {{ max_words }} words:");

        // As if this MSBuild (and its compiler) were older than the generator needs.
        var build = Dotnet(app, "build", "-p:DistilMinimumMSBuildVersion=99.0");

        Assert.That(build.ExitCode, Is.Not.Zero);
        Assert.That(build.Output, Does.Contain("error DISTIL000: Distil's source generator needs the C# compiler of MSBuild 99.0 or later"));
        Assert.That(build.Output, Does.Not.Contain("CS0534"), "stopped before the compiler could report members the generator did not write");
    }

    [Test]
    public void A_template_typo_fails_the_build_with_DISTIL003()
    {
        var app = CreateApp("typo", "Summarise {{ titel }} in {{ max_words }} words:");

        var build = Dotnet(app, "build");

        Assert.That(build.ExitCode, Is.Not.Zero);
        Assert.That(build.Output, Does.Contain("error DISTIL003: Template variable 'titel' is not an input column or template parameter of task 'summary'. Did you mean 'title'?"));
        Assert.That(build.Output, Does.Contain("Program.cs(8,14)"), "the error points at the variable in the template");
    }

    [Test]
    public void A_pipeline_that_reads_a_column_no_step_writes_fails_the_build_with_DISTIL016()
    {
        var app = CreateApp("pipelinetypo", "{{ title }} {{ max_words }}", withPipelines: true);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Distil;
            using Distil.Pipelines;

            public sealed record Review(string Text, int Stars);

            [Task("summary")]
            [UserPrompt("Summarise: {{ review }}")]
            public sealed partial class Summary : LlmTask<Summary.Input, Summary.Output>
            {
                public sealed record Input(string Review);
                public sealed record Output(string Summary);
            }

            static class Program
            {
                static void Main()
                {
                    var pipeline = Pipeline.Create("reviews");
                    pipeline.Load<Review>(RowSources.File("reviews.jsonl")).Then(new Summary()).Write("summaries.jsonl");
                }
            }
            """);

        var build = Dotnet(app, "build");

        Assert.That(build.ExitCode, Is.Not.Zero);
        Assert.That(build.Output, Does.Contain("Program.cs(19,70): error DISTIL016: Task 'summary' reads column 'review', which no earlier step writes; the rows there have text, stars"));
    }

    // Issue 29's first point, on the packed packages: a consumer's own [Step] and [Task] in one pipeline build clean and
    // run; when the task reads a column the step does not write, the build fails at that .Then( with the column meant.
    [Test]
    public void A_users_own_step_and_task_build_and_run_and_a_column_the_step_does_not_write_fails_at_its_Then()
    {
        var app = CreateApp("ownsteps", "{{ title }} {{ max_words }}", withPipelines: true);
        File.WriteAllText(Path.Combine(app, "tickets.jsonl"), "{\"id\": 1, \"body\": \"  The printer   is on fire  \"}\n{\"id\": 2, \"body\": \"Password reset, please\"}\n");
        const string Program = """
            using Distil;
            using Distil.Pipelines;
            using Microsoft.Extensions.AI;

            public sealed record Ticket(int Id, string Body);

            [Step("normalize")]
            public sealed partial class Normalize : Step<Normalize.Input, Normalize.Output>
            {
                public sealed record Input(string Body);
                public sealed record Output(string CleanText, int Length);
                public override Output Process(Input input)
                {
                    var text = string.Join(' ', input.Body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
                    return new Output(text, text.Length);
                }
            }

            [Task("grade")]
            [UserPrompt("How urgent is this, 1 to 5? GRADE_READS")]
            public sealed partial class Grade : LlmTask<Grade.Input, Grade.Output>
            {
                public sealed record Input(string GRADE_INPUT);
                public sealed record Output(int Urgency);
            }

            sealed class Grader : IChatClient
            {
                public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
                    Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "{\"urgency\": 4}")));
                public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
                public object? GetService(Type serviceType, object? serviceKey = null) => null;
                public void Dispose() { }
            }

            static class Program
            {
                static async Task Main()
                {
                    var pipeline = Pipeline.Create("tickets");
                    pipeline.RunDirectory = "run";
                    pipeline.Load<Ticket>(RowSources.File("tickets.jsonl"))
                        .Then(new Normalize())
                        .Then(new Grade { Llm = new Grader() })
                        .Write("graded.jsonl");
                    var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None });
                    foreach (var row in await result.Dataset.ToListAsync()) Console.WriteLine($"ROW {row["id"]} {row["clean_text"]} {row["length"]} {row["urgency"]}");
                }
            }
            """;
        File.WriteAllText(Path.Combine(app, "Program.cs"), Program.Replace("GRADE_READS", "{{ clean_text }}").Replace("GRADE_INPUT", "CleanText"));

        var run = Dotnet(app, "run");

        Assert.That(run.ExitCode, Is.Zero, run.Output);
        Assert.That(run.Output, Does.Not.Contain("warning"), "builds clean");
        Assert.That(run.Output, Does.Contain("ROW 1 The printer is on fire 22 4").And.Contain("ROW 2 Password reset, please 22 4"));

        File.WriteAllText(Path.Combine(app, "Program.cs"), Program.Replace("GRADE_READS", "{{ text }}").Replace("GRADE_INPUT", "Text"));

        var build = Dotnet(app, "build");

        Assert.That(build.ExitCode, Is.Not.Zero);
        Assert.That(build.Output, Does.Match(@"Program\.cs\(44,\d+\): error DISTIL016: Task 'grade' reads column 'text', which no earlier step writes; the rows there have id, body, clean_text, length\. Did you mean 'clean_text'\?"));
    }

    [Test]
    public void A_misspelt_column_mapping_fails_the_build_with_DISTIL018_and_the_closest_name()
    {
        var app = CreateApp("mappingtypo", "{{ title }} {{ max_words }}", withPipelines: true);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Distil;
            using Distil.Pipelines;

            public sealed record Review(string Text, int Stars);

            [Task("summary")]
            [UserPrompt("Summarise: {{ review }}")]
            public sealed partial class Summary : LlmTask<Summary.Input, Summary.Output>
            {
                public sealed record Input(string Review);
                public sealed record Output(string Summary);
            }

            static class Program
            {
                static void Main()
                {
                    var pipeline = Pipeline.Create("reviews");
                    pipeline.Load<Review>(RowSources.File("reviews.jsonl"))
                        .Then(new Summary(), new ColumnMappings { Inputs = new Dictionary<string, string> { ["reviw"] = "text" } })
                        .Write("summaries.jsonl");
                }
            }
            """);

        var build = Dotnet(app, "build");

        Assert.That(build.ExitCode, Is.Not.Zero);
        Assert.That(build.Output, Does.Contain("Program.cs(20,98): error DISTIL018: Task 'summary' has no input 'reviw' to map; its inputs are review. Did you mean 'review'?"));
    }

    [Test]
    public void A_fresh_project_reads_typed_results_silences_a_warning_with_pragma_and_publishes_as_NativeAOT()
    {
        var app = Path.Combine(_temp.Path, "aotapp");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "nuget.config"), NuGetConfig());
        File.WriteAllText(Path.Combine(app, "aotapp.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <PublishAot>true</PublishAot>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Distil" Version="{_version}" />
                <PackageReference Include="Distil.Pipelines" Version="{_version}" />
                <PackageReference Include="Distil.Testing" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), AotAppSource);

        var build = Dotnet(app, "build");
        Assert.That(build.ExitCode, Is.Zero, build.Output);
        Assert.That(build.Output, Does.Contain("warning DISTIL006: Input column 'unused' of task 'loud'"), "the warning fires where no pragma silences it");
        Assert.That(build.Output, Does.Not.Contain("'audience'"), "#pragma warning disable DISTIL006 around the task silences it");
        var run = Dotnet(app, "run", "--no-build");
        Assert.That(run.ExitCode, Is.Zero, run.Output);

        var publish = Dotnet(app, "publish", "-c", "Release", "-r", "linux-x64", "-o", Path.Combine(app, "native"));
        Assert.That(publish.ExitCode, Is.Zero, publish.Output);
        Assert.That(publish.Output, Does.Not.Match(@"warning IL\d{4}"), "no trimming or AOT warnings");
        var native = Run(Path.Combine(app, "native", "aotapp"), app);

        Assert.That(native.ExitCode, Is.Zero, native.Output);
        Assert.That(native.Output, Is.EqualTo(run.Output), "the native program does what the JIT one does");
        Assert.That(native.Output, Does.Contain("RESULT 0: Tea -> Pitch Tea. (4) x2, 7 tokens in"));
        Assert.That(native.Output, Does.Contain("RESULT 1: Ink -> Pitch Ink. (4) x2, 7 tokens in"));
        Assert.That(native.Output, Does.Contain("SETTING num_generations = 2"));
        Assert.That(native.Output, Does.Contain("""ROW generated=True {"name":"Tea","audience":"cats"} -> Tea/cats"""), "a typed Load maps its record with generated code, no reflection");
    }

    private const string AotAppSource = """"
        using Distil;
        using Distil.Testing;

        #pragma warning disable DISTIL006 // 'audience' is for the dataset, not the prompt
        [Task("pitch")]
        [UserPrompt("Pitch {{ product }}.")]
        public sealed partial class Pitch : LlmTask<Pitch.Input, Pitch.Output>
        {
            public sealed record Input(string Product, string Audience);
            public sealed record Output(string Line, int Stars);
        }
        #pragma warning restore DISTIL006

        [Task("loud")]
        [UserPrompt("Shout {{ word }}.")]
        public sealed partial class Loud : LlmTask<Loud.Input, Loud.Output>
        {
            public sealed record Input(string Word, string Unused);
            public sealed record Output(string Line);
        }

        public sealed record Product(string Name, string Audience);

        static class Program
        {
            static async Task Main()
            {
                // A typed Load: its record is mapped by generated code (no trimming or AOT warning).
                var pipeline = Distil.Pipelines.Pipeline.Create("aot");
                pipeline.Load<Product>(Distil.Pipelines.RowSources.Jsonl("products.jsonl")).Write("out.jsonl");
                var mapper = Distil.Pipelines.RowMappers.For<Product>();
                var row = mapper.ToRow(new Product("Tea", "cats"));
                var back = mapper.FromRow(row);
                Console.WriteLine($"ROW generated={Distil.Pipelines.RowMappers.IsGenerated<Product>()} {row.ToJsonString()} -> {back.Name}/{back.Audience}");
                var llm = new ScriptedChatClient(r => ScriptedChatClient.Answer($$"""{"line": "{{r.UserText}}", "stars": 4}""", 7, 3));
                var task = new Pitch { Llm = llm, MaxConcurrency = 4 };
                Distil.Pipelines.RuntimeParameters.ApplyTo(task, ["num_generations=2"]);
                Console.WriteLine($"SETTING num_generations = {task.Settings.Single(s => s.Name == "num_generations").GetValue(task)}");
                await foreach (var result in task.RunAsync([new Pitch.Input("Tea", "cats"), new Pitch.Input("Ink", "owls")]))
                {
                    Console.WriteLine($"RESULT {result.RowIndex}: {result.Input.Product} -> {result.Output!.Line} ({result.Output.Stars}) x{result.Generations.Count}, {result.Generations[0].Usage!.InputTokenCount} tokens in");
                }
            }
        }
        """";

    private string NuGetConfig() => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="distil-local" value="{_feed}" />
          </packageSources>
        </configuration>
        """;

    private string CreateApp(string name, string firstLine, bool withTasks = false, bool withPipelines = false)
    {
        var directory = Path.Combine(_temp.Path, name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "nuget.config"), NuGetConfig());
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Distil" Version="{_version}" />
                {(withTasks ? $"<PackageReference Include=\"Distil.Tasks\" Version=\"{_version}\" />" : "")}
                {(withPipelines ? $"<PackageReference Include=\"Distil.Pipelines\" Version=\"{_version}\" />" : "")}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), AppSource.Replace("FIRST_LINE", firstLine)
            .Replace("// BUILT_IN_CALL", withTasks ? BuiltInCall : "")
            .Replace("// BUILT_IN_TYPES", withTasks ? BuiltInTypes : ""));
        return directory;
    }

    private const string AppSource = """"
        using System.Text.Json.Nodes;
        using Distil;
        using Microsoft.Extensions.AI;

        [Task("summary")]
        [SystemPrompt("You summarise.")]
        [UserPrompt("""
        FIRST_LINE
        {{ for point in key_points }}- {{ point }}
        {{ end }}
        """)]
        public sealed partial class Summary : LlmTask<Summary.Input, Summary.Output>
        {
            public sealed record Input(string Title, int MaxWords, IReadOnlyList<string> KeyPoints);
            public sealed record Output(string Summary, int WordCount);
        }

        sealed class FakeLlm : IChatClient
        {
            public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
                Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "{\"summary\":\"x\",\"word_count\":3}"))
                {
                    ModelId = "fake-model",
                    Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 4 },
                });
            public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
            public object? GetService(Type serviceType, object? serviceKey = null) => null;
            public void Dispose() { }
        }

        static class Program
        {
            static async Task Main()
            {
                var task = new Summary { Llm = new FakeLlm(), NumGenerations = 2 };
                var input = new Summary.Input("Dune", 3, ["spice", "worms"]);
                Console.WriteLine(string.Join("|", task.FormatInput(input).Select(m => $"{m.Role.Value.ToUpperInvariant()}: {m.Text.Replace("\n", "\\n")}")));
                Console.WriteLine($"PARSED: {task.FormatOutput("{\"summary\":\"x\",\"word_count\":3}", input)}");
                var row = new JsonObject { ["title"] = "Dune", ["max_words"] = 3, ["key_points"] = new JsonArray("spice", "worms") };
                var rows = new List<JsonObject>();
                await foreach (var output in task.ProcessAsync([row])) rows.Add(output);
                Console.WriteLine($"ROWS: {rows.Count}");
                var json = new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
                foreach (var output in rows) Console.WriteLine($"ROW: {output.ToJsonString(json)}");
                // BUILT_IN_CALL
            }
        }

        // BUILT_IN_TYPES
        """";

    // A built-in task from Distil.Tasks, run over a row with a model that answers in its format.
    private const string BuiltInCall = """
        var scorer = new Distil.Tasks.QualityScorer { Llm = new ScoringLlm() };
                var scored = new List<JsonObject>();
                await foreach (var output in scorer.ProcessAsync([new JsonObject { ["instruction"] = "Name a colour.", ["responses"] = new JsonArray("Red.", "Loud.") }])) scored.Add(output);
                Console.WriteLine($"BUILT-IN: {{\"scores\":{scored[0]["scores"]!.ToJsonString()}}}");
        """;

    private const string BuiltInTypes = """
        sealed class ScoringLlm : IChatClient
        {
            public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
                Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "[1] Score: 6\n[2] Score: 3")));
            public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
            public object? GetService(Type serviceType, object? serviceKey = null) => null;
            public void Dispose() { }
        }
        """;

    private static (int ExitCode, string Output) Dotnet(string directory, params string[] arguments) => Run("dotnet", directory, arguments);

    private static (int ExitCode, string Output) Run(string program, string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // The test host's MSBuild settings must not leak into the child build.
        foreach (var variable in new[] { "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildExtensionsPath", "DOTNET_HOST_PATH" })
            start.Environment.Remove(variable);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Distil.Generated.sln"))) return directory.FullName;
        }
        throw new InvalidOperationException("The repository root (Distil.Generated.sln) was not found above the test directory.");
    }
}

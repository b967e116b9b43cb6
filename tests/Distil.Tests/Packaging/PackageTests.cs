using System.Diagnostics;
using System.IO.Compression;
using NUnit.Framework;

namespace Distil.Tests.Packaging;

/// <summary>
/// The Distil package on its own: packed from source, referenced by a fresh project outside the
/// repository, which declares a task, builds, runs — and fails to build on a template typo.
/// </summary>
[TestFixture]
[NonParallelizable]
public class PackageTests
{
    private string _work = null!;
    private string _feed = null!;
    private string _version = null!;

    [OneTimeSetUp]
    public void Pack()
    {
        _work = Path.Combine(Path.GetTempPath(), "distil-package-" + Guid.NewGuid().ToString("N")[..8]);
        _feed = Path.Combine(_work, "feed");
        // A version of its own, so that no earlier package in the NuGet cache is used instead.
        _version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}";
        var pack = Dotnet(RepositoryRoot(), "pack", Path.Combine("src", "Distil", "Distil.csproj"), "-c", "Release", "-o", _feed, $"-p:Version={_version}");
        Assert.That(pack.ExitCode, Is.Zero, pack.Output);
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
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

    private string CreateApp(string name, string firstLine)
    {
        var directory = Path.Combine(_work, name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="distil-local" value="{_feed}" />
              </packageSources>
            </configuration>
            """);
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
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), AppSource.Replace("FIRST_LINE", firstLine));
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
        public sealed partial class Summary : Task<Summary.Input, Summary.Output>
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
            }
        }
        """";

    private static (int ExitCode, string Output) Dotnet(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
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

using Spectre.Console;

namespace Distil.Quickstart;

/// <summary>The quickstart's command line: a local model by default, or any model spec.</summary>
internal sealed record QuickstartOptions(string ModelSpec, string OutputPath, string? CachePath)
{
    private const string DefaultModel = "llama-2-tiny-random.gguf";

    /// <summary>Whether the model is the tiny random-weights model: its text is gibberish.</summary>
    public bool IsTinyTestModel => ModelSpec.EndsWith(DefaultModel, StringComparison.Ordinal);

    public static QuickstartOptions? Parse(string[] args)
    {
        string? model = null, output = null, cache = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model" when i + 1 < args.Length: model = args[++i]; break;
                case "--out" when i + 1 < args.Length: output = args[++i]; break;
                case "--cache" when i + 1 < args.Length: cache = args[++i]; break;
                case "-h" or "--help":
                    Usage();
                    return null;
                default:
                    AnsiConsole.MarkupLine($"[red]Unknown or incomplete option '{Markup.Escape(args[i])}'.[/]");
                    Usage();
                    return null;
            }
        }
        return new QuickstartOptions(model ?? "local:" + FindLocalModel(), output ?? Path.Combine("out", "quickstart.jsonl"), cache);
    }

    // DISTIL_MODEL wins; else the tiny test model that ships in the repository (samples/models).
    private static string FindLocalModel()
    {
        var configured = Environment.GetEnvironmentVariable("DISTIL_MODEL");
        if (!string.IsNullOrWhiteSpace(configured)) return configured;

        var relative = Path.Combine("samples", "models", DefaultModel);
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Distil.Generated.sln")))
            {
                return Path.GetFullPath(Path.Combine(directory.FullName, relative));
            }
        }
        return Path.GetFullPath(relative);
    }

    private static void Usage() => AnsiConsole.WriteLine("""
        Usage: dotnet run --project samples/Distil.Quickstart [-- options]

          (no options)       run on a local GGUF model: DISTIL_MODEL, else samples/models/llama-2-tiny-random.gguf
          --model SPEC       a model: openai:gpt-4o-mini (OPENAI_API_KEY), endpoint:http://127.0.0.1:8000/v1#NAME
                             (any OpenAI-compatible server), local:/path/model.gguf
          --cache PATH       keep answers in a SQLite file: a second run asks the model nothing
          --out PATH         where to write the rows (default out/quickstart.jsonl)
        """);
}

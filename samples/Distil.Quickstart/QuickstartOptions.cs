using Spectre.Console;

namespace Distil.Quickstart;

/// <summary>The quickstart's command line: a local model by default, or an OpenAI-compatible server.</summary>
internal sealed record QuickstartOptions(Uri? Endpoint, string? Model, string? ModelPath, string OutputPath)
{
    private const string DefaultModel = "llama-2-tiny-random.gguf";

    public string Describe() => Endpoint is not null ? $"{Model} at {Endpoint}" : $"local {ModelPath}";

    public static QuickstartOptions? Parse(string[] args)
    {
        string? endpoint = null, model = null, output = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--endpoint" when i + 1 < args.Length: endpoint = args[++i]; break;
                case "--model" when i + 1 < args.Length: model = args[++i]; break;
                case "--out" when i + 1 < args.Length: output = args[++i]; break;
                case "-h" or "--help":
                    Usage();
                    return null;
                default:
                    AnsiConsole.MarkupLine($"[red]Unknown or incomplete option '{Markup.Escape(args[i])}'.[/]");
                    Usage();
                    return null;
            }
        }

        output ??= Path.Combine("out", "quickstart.jsonl");
        if (endpoint is not null)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                AnsiConsole.MarkupLine($"[red]--endpoint '{Markup.Escape(endpoint)}' is not an http(s) URL, e.g. http://127.0.0.1:8000/v1.[/]");
                return null;
            }
            if (model is null)
            {
                AnsiConsole.MarkupLine("[red]--endpoint needs --model NAME: the model the server should use.[/]");
                return null;
            }
            return new QuickstartOptions(uri, model, null, output);
        }

        return new QuickstartOptions(null, null, FindLocalModel(), output);
    }

    // DISTIL_MODEL wins; else the test model in ../shared/models beside the repository.
    private static string FindLocalModel()
    {
        var configured = Environment.GetEnvironmentVariable("DISTIL_MODEL");
        if (!string.IsNullOrWhiteSpace(configured)) return configured;

        var relative = Path.Combine("..", "shared", "models", DefaultModel);
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

          (no options)          run on a local GGUF model: DISTIL_MODEL, else ../shared/models/llama-2-tiny-random.gguf
          --endpoint URL        use an OpenAI-compatible server instead, e.g. http://127.0.0.1:8000/v1
          --model NAME          the model name to ask that server for (required with --endpoint)
          --out PATH            where to write the rows (default out/quickstart.jsonl)

        OPENAI_API_KEY is sent to the server when set.
        """);
}

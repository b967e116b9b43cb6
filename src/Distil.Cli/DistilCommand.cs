using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;

namespace Distil.Cli;

/// <summary>
/// The <c>distil</c> command: <c>tasks</c>, <c>print</c>, <c>format</c>, <c>parse</c> and <c>run</c>.
/// Usage and input errors print one line on standard error and exit with 2.
/// </summary>
public static class DistilCommand
{
    /// <summary>Runs the command line <paramref name="args"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, CliConsole console)
    {
        var root = Build(console);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            var command = parsed.CommandResult.Command;
            var name = command == root ? "distil" : "distil " + command.Name;
            await console.Error.WriteLineAsync($"{name}: {string.Join(" ", parsed.Errors.Select(e => e.Message))} (see '{name} --help').");
            return ExitCodes.Usage;
        }
        try
        {
            // Exceptions come back here: a usage error is one line and exit code 2, not a stack trace.
            // Ctrl+C belongs to the run (first press graceful, second immediate), not to the parser's 2 s timeout.
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
            });
        }
        catch (UsageException error)
        {
            await console.Error.WriteLineAsync(OneLine(ErrorText.Of(error)));
            return ExitCodes.Usage;
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // Not a usage error: one line still, and the failure code.
            await console.Error.WriteLineAsync($"distil: {error.GetType().Name}: {OneLine(ErrorText.Of(error))}");
            return ExitCodes.FailedRows;
        }
    }

    internal static string OneLine(string message) => message.Replace("\r", "").Replace(":\n- ", ": ").Replace("\n- ", "; ").Replace('\n', ' ');

    private static RootCommand Build(CliConsole console)
    {
        // Options are made per command line: System.CommandLine symbols must not be shared between parsers.
        var taskOption = new Option<string>("--task") { Description = "A built-in task, e.g. quality_scorer (see 'distil tasks')." };
        var paramOption = ParamOption();
        var rowOption = new Option<string>("--row") { Description = "An input row as a JSON object, e.g. '{\"instruction\": \"...\"}'." };
        var structuredOption = StructuredOption();
        var root = new RootCommand("Distil: typed synthetic-data and AI-feedback tasks. Run a built-in task over a file, look at its prompt, or check its parser on an answer.");

        var tasksAssembly = AssemblyOption();
        var tasks = new Command("tasks", "List the built-in tasks with their inputs, outputs and parameters (and with --assembly, your own tasks and steps).") { tasksAssembly };
        tasks.SetAction(result => TaskCommands.List(console, UserCode.Load(result.GetValue(tasksAssembly) ?? [], "tasks")));
        root.Subcommands.Add(tasks);

        var printTask = new Argument<string>("task") { Description = "A built-in task, e.g. ultrafeedback." };
        var print = new Command("print", "Show the prompt of a sample row (placeholders, or --row) as panels.") { printTask, paramOption, rowOption };
        print.SetAction(result => TaskCommands.Print(console, result.GetValue(printTask)!, result.GetValue(paramOption) ?? [], result.GetValue(rowOption)));
        root.Subcommands.Add(print);

        var format = new Command("format", "Print the chat messages a task sends for a row, as JSON.") { taskOption, paramOption, rowOption };
        format.SetAction(result => TaskCommands.Format(
            console, Required(result, taskOption, "format", "quality_scorer"), result.GetValue(paramOption) ?? [], Required(result, rowOption, "format", "'{\"instruction\": \"...\"}'")));
        root.Subcommands.Add(format);

        var text = new Option<string>("--text") { Description = "The model's answer; '-' reads it from standard input.", Required = true };
        var parse = new Command("parse", "Print the output columns a task reads from an answer, as one JSON object (nulls included).")
        {
            taskOption, paramOption, rowOption, structuredOption, text,
        };
        parse.SetAction(result => TaskCommands.Parse(
            console, Required(result, taskOption, "parse", "quality_scorer"), result.GetValue(paramOption) ?? [],
            Required(result, rowOption, "parse", "'{\"instruction\": \"...\"}'"), result.GetValue(structuredOption), result.GetValue(text)!));
        root.Subcommands.Add(parse);

        root.Subcommands.Add(RunCommand.Build(console));
        root.Subcommands.Add(ReportCommand.Build(console));
        root.Subcommands.Add(ViewCommand.Build(console));
        root.Subcommands.Add(MergeCommand.Build(console));
        root.Subcommands.Add(CheckCommand.Build(console));
        root.Subcommands.Add(FakeServerCommand.Build(console));
        root.Subcommands.Add(SchemaCommand.Build(console));
        return root;
    }

    internal static Option<string[]> ParamOption() => new("--param")
    {
        Description = "A task parameter or LLM option as name=value (repeatable), e.g. --param aspect=honesty --param temperature=0.2.",
    };

    internal static Option<string[]> AssemblyOption() => new("--assembly")
    {
        Description = "A built assembly (.dll) of your own [Task] and [Step] classes, usable by name in pipeline files (repeatable).",
    };

    internal static Option<bool> StructuredOption() => new("--structured") { Description = "Use the task's structured (JSON) output mode." };

    internal static string Required(ParseResult result, Option<string> option, string command, string example) =>
        result.GetValue(option) ?? throw new UsageException($"distil {command}: {option.Name} is required, e.g. {option.Name} {example}.");

    /// <summary>A built-in task from the command line, or a usage error naming what is wrong.</summary>
    internal static LlmTask CreateTask(string command, string name, IEnumerable<string> parameters, UserCode? user = null)
    {
        try
        {
            return (user ?? UserCode.None).CreateTask(name, parameters);
        }
        catch (Exception error) when (error is ArgumentException or PipelineException or FormatException)
        {
            throw new UsageException($"distil {command}: {OneLine(ErrorText.Of(error))}");
        }
    }

    /// <summary>A JSON object from the command line, or a usage error naming the option.</summary>
    internal static JsonObject ParseRow(string command, string json)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject
                ?? throw new UsageException($"distil {command}: --row must be a JSON object, e.g. '{{\"instruction\": \"...\"}}'.");
        }
        catch (JsonException error)
        {
            throw new UsageException($"distil {command}: --row is not valid JSON at {JsonPositions.Describe(error, json)}.");
        }
    }
}

using System.CommandLine;
using Distil.Pipelines;

namespace Distil.Cli;

/// <summary><c>distil report RUN_DIR</c>: the HTML run report of a run directory.</summary>
internal static class ReportCommand
{
    public static Command Build(CliConsole console)
    {
        var runDirectory = new Argument<string>("RUN_DIR") { Description = "The run directory (e.g. .distil/text_generation)." };
        var output = new Option<string>("--output") { Description = "The HTML file to write (default: report.html in the run directory)." };
        var prices = PriceOptions.Price();
        var priceFile = PriceOptions.PriceFile();
        var command = new Command("report", "Write a self-contained HTML report of a run directory: the pipeline, each task's calls, failures, tokens, latency and cost, charts of the outputs, and sample rows.")
        {
            runDirectory, output, prices, priceFile,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var directory = result.GetValue(runDirectory)!;
            if (!Directory.Exists(directory)) throw new UsageException($"distil report: the run directory '{Path.GetFullPath(directory)}' does not exist.");
            var options = new RunReportOptions { Prices = PriceOptions.Read("distil report", result.GetValue(prices), result.GetValue(priceFile)) };
            string path;
            try
            {
                path = await RunReport.WriteAsync(directory, result.GetValue(output), options, cancellationToken);
            }
            catch (PipelineException error)
            {
                throw new UsageException($"distil report: {ErrorText.Of(error)}");
            }
            await console.Out.WriteLineAsync($"Report written to {path}");
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary><c>--price MODEL=IN/OUT</c> and <c>--prices FILE</c>, shared by <c>run --dry-run</c> and <c>report</c>.</summary>
internal static class PriceOptions
{
    public static Option<string[]> Price() => new("--price")
    {
        Description = "A model's price in dollars per million tokens, MODEL=IN/OUT (repeatable), e.g. gpt-4o-mini=0.15/0.60.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string> PriceFile() => new("--prices") { Description = "A JSON file of prices: {\"MODEL\": {\"input\": IN, \"output\": OUT}} in dollars per million tokens." };

    public static PriceTable? Read(string command, string[]? prices, string? file)
    {
        if ((prices is null || prices.Length == 0) && file is null) return null;
        try
        {
            if (file is not null && !File.Exists(file)) throw new UsageException($"{command}: --prices '{Path.GetFullPath(file)}' does not exist.");
            var table = file is null ? new PriceTable() : PriceTable.Load(file);
            foreach (var price in prices ?? []) table.Add(price);
            return table;
        }
        catch (FormatException error)
        {
            throw new UsageException($"{command}: {ErrorText.Of(error)}");
        }
    }
}

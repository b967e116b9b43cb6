using System.CommandLine;
using System.Runtime.InteropServices;
using Distil.Pipelines;
using Distil.View;

namespace Distil.Cli;

/// <summary>
/// <c>distil view RUN_DIR</c>: the live local view of a run directory (Distil.View) on 127.0.0.1 until Ctrl+C or SIGTERM;
/// with <c>--export PATH</c>, instead writes the reviewed rows of a step to a file.
/// </summary>
internal static class ViewCommand
{
    public static Command Build(CliConsole console)
    {
        var runDirectory = new Argument<string>("RUN_DIR") { Description = "The run directory (e.g. .distil/my_pipeline); it may be in use by a run." };
        var port = new Option<int>("--port") { Description = "The port on 127.0.0.1 (default 0: a free port, printed at start).", DefaultValueFactory = _ => 0 };
        var export = new Option<string>("--export") { Description = "Write the reviewed rows to this file instead of serving the page (.jsonl, .csv, .parquet, or a folder for the Hugging Face layout), with review_status, review_note and review_corrected columns and corrections applied." };
        var step = new Option<string>("--step") { Description = "With --export: the step whose rows to write (default: the run's last step)." };
        var keep = new Option<string>("--keep") { Description = "With --export: which rows to write: all (default), reviewed, accepted, not-rejected.", DefaultValueFactory = _ => "all" };
        var prices = PriceOptions.Price();
        var priceFile = PriceOptions.PriceFile();
        var command = new Command("view", "Serve a live view of a run directory on 127.0.0.1 (progress, calls, tokens and cost, the rows with search, filters and sort, each row's prompt and answers) where rows can be reviewed; or with --export, write the reviewed rows.")
        {
            runDirectory, port, export, step, keep, prices, priceFile,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var directory = Path.GetFullPath(result.GetValue(runDirectory)!);
            if (!Directory.Exists(directory)) throw new UsageException($"distil view: the run directory '{directory}' does not exist.");
            if (result.GetValue(export) is { } path)
            {
                return await ExportAsync(console, directory, path, result.GetValue(step), Keep(result.GetValue(keep)), cancellationToken);
            }
            if (result.GetValue(step) is not null || result.GetResult(keep) is { Implicit: false }) throw new UsageException("distil view: --step and --keep go with --export PATH.");
            var portNumber = result.GetValue(port);
            if (portNumber is < 0 or > 65535) throw new UsageException($"distil view: --port must be 0 (a free port) to 65535, not {portNumber}.");
            var options = new RunViewOptions { Port = portNumber, Prices = PriceOptions.Read("distil view", result.GetValue(prices), result.GetValue(priceFile)) };
            return await ServeAsync(console, directory, options, cancellationToken);
        });
        return command;
    }

    private static ReviewKeep Keep(string? name)
    {
        try
        {
            return ReviewedRows.ParseKeep(name ?? "all");
        }
        catch (ArgumentException)
        {
            throw new UsageException($"distil view: --keep must be all, reviewed, accepted or not-rejected, not '{name}'.");
        }
    }

    private static async Task<int> ExportAsync(CliConsole console, string directory, string path, string? step, ReviewKeep keep, CancellationToken cancellationToken)
    {
        if (!RunDirectoryReader.HasStore(directory)) throw new UsageException($"distil view: '{directory}' has no run store ({RunDirectoryReader.StoreFileName}): run a pipeline with this run directory first.");
        long rows;
        try
        {
            rows = await ReviewedRows.ExportAsync(directory, step ?? LastStepWithRows(directory), path, keep, cancellationToken);
        }
        catch (Exception error) when (error is PipelineException or ArgumentException or NotSupportedException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"distil view --export: {DistilCommand.OneLine(ErrorText.Of(error))}");
        }
        await console.Out.WriteLineAsync($"Wrote {rows:N0} reviewed rows to {Path.GetFullPath(path)}");
        return ExitCodes.Success;
    }

    // The step the run ends with among those that stored rows: a write step has a signature in the store but no rows.
    // Null when that is not one step; the export then picks (or says which steps to choose from).
    private static string? LastStepWithRows(string directory)
    {
        var stored = RunDirectoryReader.ReadSteps(directory).Where(s => s.InputRows > 0).ToList();
        var read = stored.SelectMany(s => s.Parents).ToHashSet(StringComparer.Ordinal);
        var last = stored.Where(s => !read.Contains(s.Name)).ToList();
        return last.Count == 1 ? last[0].Name : null;
    }

    private static async Task<int> ServeAsync(CliConsole console, string directory, RunViewOptions options, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Rule: Ctrl+C and SIGTERM stop the view cleanly and the command exits 0 (labels are saved as they are made).
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        RunView view;
        try
        {
            view = await RunView.StartAsync(directory, options, cancellationToken);
        }
        catch (IOException error)
        {
            throw new UsageException($"distil view: cannot listen on 127.0.0.1:{options.Port} ({error.Message}).");
        }
        await using (view)
        {
            await console.Out.WriteLineAsync($"Distil view of {directory} at {view.Address} (Ctrl+C stops it).");
            await console.Out.FlushAsync(CancellationToken.None);
            await view.WaitAsync(stop.Token);
        }
        await console.Out.WriteLineAsync("Stopped.");
        return ExitCodes.Success;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }
}

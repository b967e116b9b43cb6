using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Distil.AzureOpenAI;
using Distil.LlamaSharp;
using Distil.OpenAI;
using Distil.Pipelines;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Distil.Cli;

/// <summary><c>distil run</c>: a built-in task over a file, or a pipeline file, resumable from its run directory.</summary>
internal static class RunCommand
{
    public static Command Build(CliConsole console)
    {
        var task = new Option<string>("--task") { Description = "The built-in task to run (or --pipeline)." };
        var pipeline = new Option<string>("--pipeline") { Description = "A pipeline file (JSON) to run instead of one task." };
        var parameters = DistilCommand.ParamOption();
        var input = new Option<string>("--input") { Description = "The rows: a .jsonl, .csv or .parquet file." };
        var output = new Option<string>("--output") { Description = "Where to write the rows: a .jsonl, .csv or .parquet file." };
        var model = new Option<string>("--model") { Description = "The model spec: openai:MODEL, azure:DEPLOYMENT, endpoint:URL#MODEL or local:PATH." };
        var generations = new Option<int?>("--num-generations") { Description = "Answers per row (default 1, or --param num_generations)." };
        var structured = DistilCommand.StructuredOption();
        var concurrency = new Option<int?>("--concurrency") { Description = "The most calls in flight at once (default 8, or --param max_concurrency); remote models adapt below it to what the service takes." };
        var fixedConcurrency = new Option<bool>("--fixed-concurrency") { Description = "Keep calls in flight at --concurrency instead of adapting to the service's refusals (429, 503, timeouts)." };
        var rpm = new Option<int?>("--rpm") { Description = "At most N requests per minute to the model (client-side rate limit)." };
        var tpm = new Option<int?>("--tpm") { Description = "At most N tokens per minute to the model (client-side, from the answers' reported usage)." };
        var maxRetries = new Option<int?>("--max-retries") { Description = "Retries of a call that failed transiently (429, 5xx, timeouts; default 6)." };
        var timeout = new Option<double?>("--timeout") { Description = "Seconds one attempt may take before it is abandoned and retried (default 120)." };
        var shard = new Option<string>("--shard") { Description = "Run one part of the rows, I/N (e.g. 0/4): its own run directory and outputs (suffixed .shard-I-of-N); 'distil merge' puts the parts together." };
        var perServer = new Option<int?>("--per-server") { Description = "With several servers (endpoint:URL1,URL2#MODEL): at most N calls at once on each." };
        var reasks = new Option<int?>("--reasks") { Description = "Ask again, up to N times, when an answer cannot be read or breaks a rule (default 0, or --param reasks)." };
        var cache = new Option<string>("--cache") { Description = "A folder for the response cache: reruns with the same prompts ask the model nothing." };
        var runDirectory = new Option<string>("--run-dir") { Description = "Where finished rows are kept, so a stopped run resumes (default .distil/<task or pipeline>)." };
        var batch = new Option<bool>("--batch") { Description = "Send the requests through the OpenAI / Azure OpenAI Batch API (half price, answered within 24 h); a later run collects them." };
        var wait = new Option<bool>("--wait") { Description = "With --batch: wait for the batches, polling with backoff, instead of stopping while they are pending." };
        var format = new Option<string>("--format") { Description = "The output format: jsonl, csv, parquet, or hf (a Hugging Face dataset folder: --output DIR); default from --output's extension." };
        var logLevel = new Option<string>("--log-level") { Description = $"The least level logged to the console and --log-file: {string.Join(", ", CliLogging.Levels)} (default: warnings, and progress lines)." };
        var logFile = new Option<string>("--log-file") { Description = "Also log to this file (from information up, or --log-level): retries, cache warnings, progress, the summary." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check the pipeline, print every step's columns and types, and count each task's calls, input tokens and cost range, without calling a model." };
        var prices = PriceOptions.Price();
        var priceFile = PriceOptions.PriceFile();
        var warnUnreadable = new Option<double?>("--warn-unreadable") { Description = "Warn about a task step when more than this share of its answers (0 to 1) could not be read or broke a rule (default 0.1)." };
        var keepFailed = new Option<bool>("--keep-failed") { Description = "Keep the rows an earlier run stored with failed LLM calls as they are, instead of asking them again (the default on a rerun)." };
        var assemblies = DistilCommand.AssemblyOption();
        var mcp = new Option<string[]>("--mcp") { Description = "An MCP server whose tools the task may call: a command line that starts it (\"node server.js stdio\"; quotes keep a word whole) or an http(s) URL (repeatable). Started when the run starts, stopped when it ends." };
        var mcpTools = new Option<string>("--mcp-tools") { Description = "With --mcp: only these tools of the servers, by name, separated by commas (e.g. get-sum,echo)." };
        var limit = new Option<long?>("--limit") { Description = "A preview: run on the first N rows of each source, in a run directory of its own (<run-dir>-preview), write no output, and print the rows as a table." };
        var command = new Command("run", "Run a built-in task over a file (--task) or a pipeline file (--pipeline), with progress; a stopped run resumes.")
        {
            task, pipeline, parameters, input, output, model, generations, structured, concurrency, fixedConcurrency, reasks, rpm, tpm, maxRetries, timeout, perServer, cache, runDirectory, batch, wait, format, dryRun, prices, priceFile, limit, shard, logLevel, logFile, warnUnreadable, keepFailed, assemblies, mcp, mcpTools,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new RunSettings(
                result.GetValue(task), result.GetValue(pipeline), result.GetValue(parameters) ?? [], result.GetValue(input), result.GetValue(output),
                result.GetValue(model), result.GetValue(generations), result.GetValue(structured), result.GetValue(concurrency),
                result.GetValue(cache), result.GetValue(runDirectory), result.GetValue(batch), result.GetValue(wait), result.GetValue(format), result.GetValue(dryRun),
                result.GetValue(reasks), result.GetValue(rpm), result.GetValue(tpm), result.GetValue(maxRetries), result.GetValue(timeout),
                CliLogging.ParseLevel(result.GetValue(logLevel)), result.GetValue(logFile),
                PriceOptions.Read("distil run", result.GetValue(prices), result.GetValue(priceFile)), result.GetValue(limit), result.GetValue(perServer), ParseShard(result.GetValue(shard)))
            {
                WarnUnreadable = result.GetValue(warnUnreadable),
                KeepFailed = result.GetValue(keepFailed),
                Assemblies = result.GetValue(assemblies) ?? [],
                Mcp = result.GetValue(mcp) ?? [],
                McpTools = result.GetValue(mcpTools),
                FixedConcurrency = result.GetValue(fixedConcurrency),
            };
            return await RunAsync(console, settings, cancellationToken);
        });
        return command;
    }

    private sealed record RunSettings(
        string? Task, string? Pipeline, string[] Parameters, string? Input, string? Output, string? Model,
        int? Generations, bool Structured, int? Concurrency, string? Cache, string? RunDirectory, bool Batch, bool Wait, string? Format, bool DryRun,
        int? Reasks, int? Rpm, int? Tpm, int? MaxRetries, double? Timeout, LogLevel? LogLevel, string? LogFile, Distil.Pipelines.PriceTable? Prices, long? Limit, int? PerServer, Shard? Shard)
    {
        /// <summary>The share of unfit answers past which a step is warned about (<c>--warn-unreadable</c>).</summary>
        public double? WarnUnreadable { get; init; }

        /// <summary>Keep the rows an earlier run stored with failed calls as they are (<c>--keep-failed</c>).</summary>
        public bool KeepFailed { get; init; }

        /// <summary>The assemblies of the user's own tasks and steps (<c>--assembly</c>).</summary>
        public string[] Assemblies { get; init; } = [];

        /// <summary>The MCP servers of a one-task run (<c>--mcp</c>), as typed.</summary>
        public string[] Mcp { get; init; } = [];

        /// <summary>The tools kept of the <c>--mcp</c> servers (<c>--mcp-tools a,b</c>).</summary>
        public string? McpTools { get; init; }

        /// <summary>Calls in flight stay at the bound instead of adapting to refusals (<c>--fixed-concurrency</c>).</summary>
        public bool FixedConcurrency { get; init; }
    }

    private static Shard? ParseShard(string? text)
    {
        try
        {
            return text is null ? null : Shard.Parse(text);
        }
        catch (FormatException error)
        {
            throw new UsageException($"distil run: --shard {ErrorText.Of(error)}");
        }
    }

    private static async Task<int> RunAsync(CliConsole console, RunSettings settings, CancellationToken cancellationToken)
    {
        if ((settings.Task is null) == (settings.Pipeline is null)) throw new UsageException("distil run: give --task TASK (with --input, --output, --model) or --pipeline FILE.json.");
        if (settings.Pipeline is not null) RefuseTaskOptions(settings);
        if (settings.Generations < 1) throw new UsageException($"distil run: --num-generations must be 1 or more, not {settings.Generations}.");
        if (settings.Concurrency < 1) throw new UsageException($"distil run: --concurrency must be 1 or more, not {settings.Concurrency}.");
        if (settings.Reasks < 0) throw new UsageException($"distil run: --reasks must be 0 or more, not {settings.Reasks}.");
        if (settings.Rpm < 1) throw new UsageException($"distil run: --rpm must be 1 or more, not {settings.Rpm}.");
        if (settings.Tpm < 1) throw new UsageException($"distil run: --tpm must be 1 or more, not {settings.Tpm}.");
        if (settings.MaxRetries < 0) throw new UsageException($"distil run: --max-retries must be 0 or more, not {settings.MaxRetries}.");
        if (settings.Timeout is <= 0) throw new UsageException($"distil run: --timeout must be a number of seconds above 0, not {settings.Timeout}.");
        if (settings.Wait && !settings.Batch) throw new UsageException("distil run: --wait goes with --batch (it waits for offline batches).");
        if (settings.PerServer < 1) throw new UsageException($"distil run: --per-server must be 1 or more, not {settings.PerServer}.");
        if (settings.WarnUnreadable is < 0 or > 1 || settings.WarnUnreadable is double.NaN) throw new UsageException($"distil run: --warn-unreadable is a share of the answers from 0 to 1 (0.1 warns past one in ten), not {settings.WarnUnreadable}.");
        if (settings.Limit < 1) throw new UsageException($"distil run: --limit must be 1 or more, not {settings.Limit}.");
        if (settings.KeepFailed && settings.DryRun) throw new UsageException("distil run: --keep-failed goes with a run; --dry-run asks nothing, so it has no failed rows to keep.");
        if (settings.Limit is not null && (settings.Batch || settings.DryRun)) throw new UsageException("distil run: --limit runs a preview online; it goes with neither --batch nor --dry-run.");
        using var telemetry = OtlpExport.FromEnvironment();

        using var loggerFactory = CliLogging.Create(settings.LogLevel, settings.LogFile);
        using var responseCache = settings.Cache is null ? null : ResponseCache.Open(Path.Combine(settings.Cache, "responses.db"));
        var defaults = new ResilienceOptions();
        var resilience = defaults with
        {
            RequestsPerMinute = settings.Rpm ?? defaults.RequestsPerMinute,
            TokensPerMinute = settings.Tpm ?? defaults.TokensPerMinute,
            MaxRetries = settings.MaxRetries ?? defaults.MaxRetries,
            AttemptTimeout = settings.Timeout is { } seconds ? TimeSpan.FromSeconds(seconds) : defaults.AttemptTimeout,
            // A one-task run's --concurrency is also its model's ceiling; a pipeline's steps bound their own rows.
            MaxConcurrentRequests = settings.Concurrency,
            AdaptiveConcurrency = !settings.FixedConcurrency,
        };
        var factory = new ChatClientFactory
        {
            Cache = responseCache, Logger = loggerFactory.CreateLogger("Distil"), Resilience = resilience,
            LoadBalancing = new LoadBalancerOptions { MaxConcurrentPerServer = settings.PerServer, ServerTimeout = resilience.AttemptTimeout },
        }.AddOpenAI().AddAzureOpenAI().AddLocalModels(maxParallelRequests: settings.Concurrency ?? 1); // local: --concurrency N decodes N rows together
        var clients = new List<IChatClient>();
        // Started once the pipeline is built, stopped when the run ends (after the summary).
        await using var toolServers = new McpToolServers();
        try
        {
            IChatClient CreateClient(string spec)
            {
                try
                {
                    var client = factory.Create(spec);
                    clients.Add(client);
                    return settings.Batch ? Batched(client, spec) : client;
                }
                catch (ModelSpecException error)
                {
                    throw new UsageException($"distil run: --model {DistilCommand.OneLine(ErrorText.Of(error))}");
                }
            }

            var user = UserCode.Load(settings.Assemblies, "run");
            var built = settings.Task is not null
                ? BuildTaskPipeline(settings, CreateClient, user, toolServers)
                : PipelineFile.Load(settings.Pipeline!, settings.Model, settings.RunDirectory, CreateClient, settings.Shard, parameters: settings.Parameters, user: user, toolServers: toolServers);
            // A shard has a run directory of its own, beside the unsharded one.
            if (settings.Shard is { } part) built.RunDirectory = part.Suffix(built.RunDirectoryPath, isFolder: true);
            built.Logger = loggerFactory.CreateLogger("Distil.Pipeline");
            if (toolServers.Any)
            {
                // The MCP client's own log lines (a server without the newest handshake, each failure it
                // also throws) are for debugging; at the usual levels the errors below say it once.
                // Started for --dry-run too: the tools a task offers are part of its requests (their keys in
                // the run directory, their tokens), so an estimate without them would be of other requests.
                await toolServers.StartAsync(settings.LogLevel <= LogLevel.Debug ? loggerFactory : null, cancellationToken);
                foreach (var line in toolServers.Given) await console.Out.WriteLineAsync(line + ".");
            }
            if (settings.DryRun) return await DryRunAsync(console, built, settings.Prices, cancellationToken);
            if (settings.Limit is { } rows) return await PreviewAsync(console, built, rows, settings.KeepFailed, cancellationToken);
            var exitCode = await RunPipelineAsync(console, built, settings.Wait, settings.Shard, settings.Prices,
                settings.WarnUnreadable ?? PipelineRunOptions.DefaultUnreadableWarningShare, settings.KeepFailed, cancellationToken);
            await PrintConcurrencyAsync(console, clients);
            return exitCode;
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }

    // Per model, the limit its calls in flight ended at and the refusals that moved it; per
    // server, when a model has several, what each did (and its own limit).
    private static async Task PrintConcurrencyAsync(CliConsole console, List<IChatClient> clients)
    {
        foreach (var limit in clients.Select(c => c.GetService<AdaptiveConcurrency>()).OfType<AdaptiveConcurrency>().Distinct().Where(l => l.IsAdaptive))
        {
            await console.Out.WriteLineAsync($"  model {limit.Model}: {AdaptiveSummary(limit)}.");
        }
        foreach (var balancer in clients.Select(c => c.GetService<LoadBalancingChatClient>()).OfType<LoadBalancingChatClient>().Distinct())
        {
            foreach (var server in balancer.Servers)
            {
                var limit = server.ConcurrencyLimit is { } now ? $", concurrency limit {now:N0}, {Count(server.Refusals, "refusal")}" : "";
                await console.Out.WriteLineAsync($"  server {server.Name}: {server.Answered:N0} answered, {server.Failed:N0} failed, ejected {server.Ejections:N0} times{limit}.");
            }
        }
    }

    // "concurrency limit 23 (from 8, highest 32), 14 refusals"
    private static string AdaptiveSummary(AdaptiveConcurrency limit)
    {
        var history = limit.History;
        return $"concurrency limit {limit.Limit:N0} (from {history[0].Limit:N0}, highest {history.Max(h => h.Limit):N0}, ceiling {limit.Ceiling:N0}), {Count(limit.Refusals, "refusal")}";
    }

    // Rule: nothing typed is ignored. The options of a one-task run have their place in a pipeline
    // file instead; given with --pipeline, each is refused with where its setting goes.
    private static void RefuseTaskOptions(RunSettings settings)
    {
        var misplaced = new List<(string Option, string Instead)>();
        if (settings.Input is not null) misplaced.Add(("--input", "a \"load\" step names each input file"));
        if (settings.Output is not null) misplaced.Add(("--output", "a \"write\" step names each output"));
        if (settings.Format is not null) misplaced.Add(("--format", "a \"write\" step's file name gives the format"));
        if (settings.Generations is not null) misplaced.Add(("--num-generations", "set \"num_generations\" on the task step, or --param STEP.num_generations=N"));
        if (settings.Structured) misplaced.Add(("--structured", "set \"structured\": true on the task step"));
        if (settings.Reasks is not null) misplaced.Add(("--reasks", "use --param STEP.reasks=N, or \"reasks\" in the step's \"params\""));
        if (settings.Concurrency is not null) misplaced.Add(("--concurrency", "set \"concurrency\" on the task step, or --param STEP.max_concurrency=N"));
        if (settings.Mcp.Length > 0) misplaced.Add(("--mcp", "give the task step \"tools\": {\"mcp\": [\"COMMAND ARGS\"]}"));
        if (settings.McpTools is not null) misplaced.Add(("--mcp-tools", "give the server's entry in \"tools\" a \"tools\" list: {\"command\": \"...\", \"tools\": [\"NAME\"]}"));
        if (misplaced.Count == 0) return;
        var (option, instead) = misplaced[0];
        var others = misplaced.Count > 1 ? $" (so do {string.Join(", ", misplaced.Skip(1).Select(m => m.Option))})" : "";
        throw new UsageException($"distil run: {option} applies to a one-task run (--task); with --pipeline, {instead}{others}.");
    }

    private static Pipeline BuildTaskPipeline(RunSettings settings, Func<string, IChatClient> createClient, UserCode user, McpToolServers toolServers)
    {
        var (servers, toolFilter) = McpToolServers.FromOptions(settings.Mcp, settings.McpTools);
        var input = settings.Input ?? throw new UsageException("distil run: --input is required with --task, e.g. --input rows.jsonl.");
        var output = settings.Output ?? throw new UsageException("distil run: --output is required with --task, e.g. --output out.jsonl.");
        var model = settings.Model ?? throw new UsageException("distil run: --model is required with --task, e.g. --model openai:gpt-4o-mini.");
        if (!File.Exists(input)) throw new UsageException($"distil run: --input '{Path.GetFullPath(input)}' does not exist.");
        IRowSource source;
        IRowSink sink;
        try
        {
            source = RowSources.File(input);
            // A shard writes an output of its own: answers.jsonl becomes answers.shard-0-of-4.jsonl.
            if (settings.Shard is { } shard) output = shard.Suffix(output, isFolder: settings.Format?.ToLowerInvariant() == "hf");
            sink = settings.Format?.ToLowerInvariant() switch
            {
                null => RowSinks.File(output),
                "hf" => RowSinks.HuggingFace(output),
                // Any registered file format by name: jsonl, parquet, csv (Distil.Csv), a package's own.
                var name => RowFileFormats.Find(name)?.OpenSink(output)
                    ?? throw new UsageException($"distil run: --format must be hf or a file format ({string.Join(", ", RowFileFormats.All.Select(f => f.Name))}), not '{name}'."),
            };
        }
        catch (ArgumentException error)
        {
            throw new UsageException($"distil run: {ErrorText.Of(error)}");
        }

        var task = DistilCommand.CreateTask("run", settings.Task!, settings.Parameters, user);
        task.Llm = createClient(model);
        // The options win over --param when given; --param wins over the defaults.
        if (settings.Generations is { } generations) task.NumGenerations = generations;
        if (settings.Reasks is { } reaskCount) task.Reasks = reaskCount;
        if (settings.Concurrency is { } concurrency) task.MaxConcurrency = concurrency;
        else if (!settings.Parameters.Any(p => p.StartsWith("max_concurrency=", StringComparison.Ordinal))) task.MaxConcurrency = 8;
        task.UseDefaultStructuredOutput = settings.Structured || task.UseDefaultStructuredOutput;
        toolServers.Declare(task, "--mcp", servers, toolFilter);

        var pipeline = Pipeline.Create(task.Name);
        if (settings.RunDirectory is not null) pipeline.RunDirectory = settings.RunDirectory;
        pipeline.Load(source, "input").Then(task).Write(sink, "output");
        return pipeline;
    }

    private static IChatClient Batched(IChatClient client, string spec)
    {
        try
        {
            return client.UseOfflineBatchGeneration();
        }
        catch (ArgumentException)
        {
            throw new UsageException($"distil run: --batch needs an openai:, azure: (with an API key) or endpoint: model; '{spec}' has no Batch API.");
        }
    }

    // Validation and counting only: the schema of every step, each task's calls, and what the run
    // directory of an earlier run will replay or reuse. No call; the run directory is only read
    // (nothing in it is created or changed, and none is made when there is none).
    private static async Task<int> DryRunAsync(CliConsole console, Pipeline pipeline, PriceTable? prices, CancellationToken cancellationToken)
    {
        PipelineEstimate estimate;
        try
        {
            estimate = await pipeline.EstimateAsync(new EstimateOptions { Prices = prices, RunDirectory = pipeline.RunDirectoryPath }, cancellationToken);
        }
        catch (PipelineException error)
        {
            throw new UsageException($"distil run: {DistilCommand.OneLine(ErrorText.Of(error))}");
        }
        await console.Out.WriteLineAsync(estimate.ToString());
        return 0;
    }

    // The first rows only, in a run directory of their own, printed as a table: read the prompts
    // and answers before paying for the whole run.
    private static async Task<int> PreviewAsync(CliConsole console, Pipeline pipeline, long rows, bool keepFailed, CancellationToken cancellationToken)
    {
        pipeline.RunDirectory = pipeline.RunDirectoryPath + "-preview";
        PipelineResult result;
        try
        {
            result = await pipeline.RunAsync(new PipelineRunOptions { SourceRowLimit = rows, ProgressDisplay = ConsoleProgress.LiveTable(console.Ansi), KeepFailedRows = keepFailed, ProgressInterval = CliLogging.ProgressInterval() }, cancellationToken);
        }
        catch (PipelineException error)
        {
            throw new UsageException($"distil run: {DistilCommand.OneLine(ErrorText.Of(error))}");
        }
        var inputs = await InputColumnsAsync(pipeline, cancellationToken);
        foreach (var (leaf, dataset) in result.Datasets)
        {
            RowTable.Print(console.Ansi, leaf, await dataset.ToListAsync(cancellationToken), inputs);
        }
        var (failed, useless) = await PrintSummaryAsync(console, result, prices: null, cancellationToken);
        await console.Out.WriteLineAsync($"Preview of the first {rows:N0} rows (run directory {result.RunDirectory}); no output was written. Run without --limit for every row.");
        await PrintAlarmsAsync(console, result, useless);
        return failed > 0 || useless.Count > 0 ? ExitCodes.FailedRows : ExitCodes.Success;
    }

    // The columns the sources give, so that the preview can show the generated ones first; none
    // when a source's columns are unknown (no rows), and then the rows keep their own order.
    private static async Task<IReadOnlySet<string>> InputColumnsAsync(Pipeline pipeline, CancellationToken cancellationToken)
    {
        var schema = await pipeline.ValidateAsync(cancellationToken: cancellationToken);
        var sources = schema.Where(step => step.Kind == "load").ToList();
        return sources.Any(step => step.Columns is null)
            ? new HashSet<string>()
            : sources.SelectMany(step => step.Columns!.Select(c => c.Name)).ToHashSet(StringComparer.Ordinal);
    }

    private static async Task<int> RunPipelineAsync(
        CliConsole console, Pipeline pipeline, bool waitForBatches, Shard? shard, PriceTable? prices, double warnUnreadable, bool keepFailed, CancellationToken cancellationToken)
    {
        using var stop = ConsoleStop.Install();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stop.Immediate);
        var clock = Stopwatch.StartNew();
        PipelineResult result;
        try
        {
            result = await pipeline.RunAsync(new PipelineRunOptions { GracefulStop = stop.Graceful, ProgressDisplay = ConsoleProgress.LiveTable(), WaitForBatches = waitForBatches, Shard = shard, UnreadableWarningShare = warnUnreadable, KeepFailedRows = keepFailed, ProgressInterval = CliLogging.ProgressInterval() }, cancel.Token);
        }
        catch (PipelineException error) when (error.InnerException is null or RowValueException or IOException or InvalidDataException)
        {
            // The pipeline as given, or its data, is wrong: a usage or input error.
            throw new UsageException($"distil run: {DistilCommand.OneLine(ErrorText.Of(error))}");
        }
        catch (PipelineException error)
        {
            // A step failed while running (a service refused a batch, the store could not be written).
            await console.Error.WriteLineAsync($"distil run: {DistilCommand.OneLine(ErrorText.Of(error))}");
            return ExitCodes.FailedRows;
        }
        catch (OperationCanceledException)
        {
            await console.Error.WriteLineAsync($"distil run: stopped; finished rows are kept in {pipeline.RunDirectoryPath}. Run the same command again to resume.");
            return ExitCodes.FailedRows;
        }

        var (totalFailed, useless) = await PrintSummaryAsync(console, result, prices, cancellationToken);
        await console.Out.WriteLineAsync($"Done in {clock.Elapsed.TotalSeconds:0.0} s.");
        await PrintAlarmsAsync(console, result, useless);
        if (!result.Completed)
        {
            await console.Out.WriteLineAsync($"Stopped before every row went through; run the same command again to finish (run directory {result.RunDirectory}).");
            return ExitCodes.FailedRows;
        }
        if (result.GoodRows is { } goodRows)
        {
            if (!goodRows.Reached)
            {
                await console.Error.WriteLineAsync($"distil run: {goodRows.Message}");
                return ExitCodes.FailedRows;
            }
            await console.Out.WriteLineAsync(goodRows.Message);
        }
        return totalFailed > 0 || useless.Count > 0 ? ExitCodes.FailedRows : ExitCodes.Success;
    }

    // One line per leaf (its rows, those with failed calls) and per task step (what this run asked):
    // the end of a run and of a preview alike. Returns the failed rows and the steps with no readable answer.
    private static async Task<(long Failed, List<string> Useless)> PrintSummaryAsync(
        CliConsole console, PipelineResult result, PriceTable? prices, CancellationToken cancellationToken)
    {
        var totalFailed = 0L;
        foreach (var (leaf, dataset) in result.Datasets)
        {
            long rows = 0, failedRows = 0;
            await foreach (var row in dataset.ReadAsync(cancellationToken))
            {
                rows++;
                if (row[LlmTask.DefaultMetadataColumn] is JsonObject metadata && metadata.Any(p => p.Key.StartsWith("error_", StringComparison.Ordinal))) failedRows++;
            }
            totalFailed += failedRows;
            await console.Out.WriteLineAsync($"{leaf}: {Count(rows, "row")}{(failedRows > 0 ? $", {failedRows:N0} with failed calls" : "")}.");
        }
        // What this run asked the models (a keep step may have dropped the rows' metadata).
        foreach (var (step, statistics) in result.Tasks)
        {
            totalFailed = Math.Max(totalFailed, statistics.FailedCalls);
            var cost = prices is null ? ""
                : prices.Cost(statistics.Model, statistics.InputTokens, statistics.OutputTokens) is { } dollars ? $", cost {PriceTable.FormatDollars(dollars)}"
                : ", cost unknown (no price matched)";
            var reasked = statistics.ReaskedAnswers > 0 ? $" ({statistics.ReaskedAnswers:N0} asked again, {statistics.ReaskFits:N0} then fit)" : "";
            var cutOff = statistics.CutOffAnswers > 0 ? $" ({statistics.CutOffAnswers:N0} cut off at the token limit)" : "";
            // Rule: answers reused from the run directory are not calls: this run did not ask for them.
            var calls = statistics.AnswersReused > 0
                ? $"{Count(statistics.Calls, "call")} this run, {Count(statistics.AnswersReused, "answer")} reused from the run directory"
                : $"{Count(statistics.Calls, "call")} this run";
            await console.Out.WriteLineAsync(
                $"  {step}: {calls}, {statistics.FailedCalls:N0} failed, {Count(statistics.UnparsedAnswers, "answer")} unreadable, " +
                $"{statistics.RejectedAnswers:N0} broke a rule{cutOff}{reasked}, " +
                $"{statistics.InputTokens:N0} input and {statistics.OutputTokens:N0} output tokens{cost}.");
            foreach (var (tool, used) in statistics.Tools.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                // Rule: tool calls read back from the run directory's journal are not calls of this run either.
                var reused = used.Reused > 0 ? $", {Count(used.Reused, "call")} reused from the run directory" : "";
                await console.Out.WriteLineAsync(
                    $"  {step}: tool {tool}: {Count(used.Calls, "call")}, {used.Errors:N0} failed{reused}, {used.Elapsed.TotalSeconds:N1} s.");
            }
            if (statistics.SkippedRows > 0)
            {
                await console.Out.WriteLineAsync($"  {step}: {statistics.SkippedRows:N0} rows skipped by the condition.");
            }
            if (statistics.RetriedRows > 0)
            {
                await console.Out.WriteLineAsync($"  {step}: {Count(statistics.RetriedRows, "failed row")} from earlier runs retried.");
            }
        }
        if (prices is not null)
        {
            // Which model each --price matched, so that a price that matched nothing does not go unnoticed.
            foreach (var line in prices.Explain(result.Tasks.Values.Select(t => t.Model))) await console.Out.WriteLineAsync("  " + line + ".");
        }
        var useless = result.Alarms.Where(a => a.NoneReadable).Select(a => $"'{a.Step}'").ToList();
        return (totalFailed, useless);
    }

    // Outputs that came out null must not pass unnoticed: the rows are stored and written all the same.
    private static async Task PrintAlarmsAsync(CliConsole console, PipelineResult result, List<string> useless)
    {
        foreach (var alarm in result.Alarms) await console.Error.WriteLineAsync("warning: " + alarm.Message);
        if (useless.Count > 0)
        {
            await console.Error.WriteLineAsync(
                $"distil run: {(useless.Count == 1 ? "step " : "steps ")}{string.Join(", ", useless)} gave no readable answer; the rows are kept in {result.RunDirectory} and written, with their outputs null.");
        }
    }

    private static string Count(long count, string noun) =>
        $"{count.ToString("N0", System.Globalization.CultureInfo.CurrentCulture)} {noun}{(count == 1 ? "" : "s")}";
}

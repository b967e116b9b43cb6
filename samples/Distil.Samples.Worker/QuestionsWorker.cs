using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tasks;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Distil.Samples.Worker;

/// <summary>Runs one pipeline with the container's LLM client and logging, then stops the host.</summary>
internal sealed class QuestionsWorker(IChatClient llm, ILoggerFactory logging, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var logger = logging.CreateLogger("Distil");
        var output = Path.Combine(Path.GetTempPath(), "distil-worker-sample", "answers.csv");
        var pipeline = Pipeline.Create("worker-questions");
        pipeline.RunDirectory = Path.Combine(Path.GetTempPath(), "distil-worker-sample", "run");
        pipeline.Logger = logger;
        pipeline.Load(Enumerable.Range(1, 10).Select(i => new JsonObject { ["instruction"] = $"Name {i} colours." }))
            .Then(new TextGeneration { Llm = llm, Logger = logger, MaxConcurrency = 4 })
            .Write(output);

        var result = await pipeline.RunAsync(new PipelineRunOptions { Progress = ProgressMode.None }, stoppingToken);
        logger.LogInformation("Pipeline {Pipeline} finished ({Completed}); rows written to {Output}.", pipeline.Name, result.Completed, output);
        lifetime.StopApplication();
    }
}

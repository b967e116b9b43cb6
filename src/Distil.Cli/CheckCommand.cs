using System.CommandLine;
using Distil.LlamaSharp;
using Distil.OpenAI;
using Distil.Pipelines;

namespace Distil.Cli;

/// <summary>
/// <c>distil check PIPELINE.json</c>: the validation <c>distil run</c> does before its first call,
/// alone: the file's shape, every step's kind and options, the models' specs, and the columns each
/// step needs against those the data and the steps before it give. Nothing runs and nothing is
/// written; the exit code says whether the pipeline would start.
/// </summary>
internal static class CheckCommand
{
    public static Command Build(CliConsole console)
    {
        var file = new Argument<string>("PIPELINE") { Description = "The pipeline file (.json) to check." };
        var model = new Option<string>("--model") { Description = "The model of task steps that name none, as distil run --model." };
        var command = new Command("check", "Check a pipeline file without running it: steps, options, models and the columns every step reads; prints each step's columns and types.")
        {
            file, model,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var factory = new ChatClientFactory { Resilience = null }.AddOpenAI().AddLocalModels();
            var clients = new List<Microsoft.Extensions.AI.IChatClient>();
            try
            {
                Pipeline pipeline;
                try
                {
                    pipeline = PipelineFile.Load(result.GetValue(file)!, result.GetValue(model), runDirectory: null, spec =>
                    {
                        try
                        {
                            var client = factory.Create(spec);
                            clients.Add(client);
                            return client;
                        }
                        catch (ModelSpecException error)
                        {
                            throw new UsageException($"distil check: model '{spec}': {DistilCommand.OneLine(error.Message)}");
                        }
                    });
                }
                catch (UsageException error) when (error.Message.StartsWith("distil run: ", StringComparison.Ordinal))
                {
                    throw new UsageException("distil check: " + error.Message["distil run: ".Length..]);
                }
                PipelineSchema schema;
                try
                {
                    schema = await pipeline.ValidateAsync(cancellationToken: cancellationToken);
                }
                catch (PipelineException error)
                {
                    throw new UsageException($"distil check: {DistilCommand.OneLine(error.Message)}");
                }
                await console.Out.WriteLineAsync(schema.ToString());
                await console.Out.WriteLineAsync($"Pipeline '{pipeline.Name}' is valid: {schema.Count} steps, every column each step reads is there.");
                return ExitCodes.Success;
            }
            finally
            {
                foreach (var client in clients) client.Dispose();
            }
        });
        return command;
    }
}

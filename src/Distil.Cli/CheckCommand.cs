using System.CommandLine;
using Distil.LlamaSharp;
using Distil.Pipelines;

namespace Distil.Cli;

/// <summary>
/// <c>distil check PIPELINE.json</c>: the validation <c>distil run</c> does before its first call,
/// alone: the file's shape, every step's kind and options, the models' specs, and the columns each
/// step needs against those the data and the steps before it give. Nothing runs, nothing is
/// written and no remote model is contacted (no key is needed); local models are opened, since
/// the file must exist and some tasks need one. The exit code says whether the pipeline would start.
/// </summary>
internal static class CheckCommand
{
    public static Command Build(CliConsole console)
    {
        var file = new Argument<string>("PIPELINE") { Description = "The pipeline file (.json) to check." };
        var model = new Option<string>("--model") { Description = "The model of task steps that name none, as distil run --model." };
        var assemblies = DistilCommand.AssemblyOption();
        var command = new Command("check", "Check a pipeline file without running it: steps, options, models and the columns every step reads; prints each step's columns and types.")
        {
            file, model, assemblies,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var user = UserCode.Load(result.GetValue(assemblies) ?? [], "check");
            var factory = new ChatClientFactory { Resilience = null }.AddLocalModels();
            var clients = new List<Microsoft.Extensions.AI.IChatClient>();
            try
            {
                // Local models are opened (the file must be there, and some tasks need one);
                // remote ones are only read: no key is needed and no request is made.
                var pipeline = PipelineFile.Load(result.GetValue(file)!, result.GetValue(model), runDirectory: null, spec =>
                {
                    try
                    {
                        var parsed = ModelSpec.Parse(spec);
                        var client = parsed.Provider == "local" ? factory.Create(parsed) : new UncalledChatClient(parsed);
                        clients.Add(client);
                        return client;
                    }
                    catch (ModelSpecException error)
                    {
                        throw new UsageException($"distil check: model '{spec}': {DistilCommand.OneLine(ErrorText.Of(error))}");
                    }
                }, command: "check", user: user);
                PipelineSchema schema;
                try
                {
                    schema = await pipeline.ValidateAsync(cancellationToken: cancellationToken);
                }
                catch (PipelineException error)
                {
                    throw new UsageException($"distil check: {DistilCommand.OneLine(ErrorText.Of(error))}");
                }
                await console.Out.WriteLineAsync(schema.ToString());
                await console.Out.WriteLineAsync($"Pipeline '{pipeline.Name}' is valid: {schema.Count} steps, every column each step reads is there (no model was called).");
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

/// <summary>A remote model as <c>distil check</c> sees it: named, never called.</summary>
internal sealed class UncalledChatClient(ModelSpec spec) : Microsoft.Extensions.AI.IChatClient
{
    private readonly Microsoft.Extensions.AI.ChatClientMetadata _metadata = new(spec.Provider, spec.Endpoint, spec.Model);

    public Task<Microsoft.Extensions.AI.ChatResponse> GetResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages,
        Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException($"distil check calls no model, but something asked {spec.Text}.");

    public IAsyncEnumerable<Microsoft.Extensions.AI.ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages,
        Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException($"distil check calls no model, but something asked {spec.Text}.");

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(_metadata) ? _metadata : serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose() { }
}

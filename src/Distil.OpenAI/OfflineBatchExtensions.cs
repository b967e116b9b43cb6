using Microsoft.Extensions.AI;

namespace Distil.OpenAI;

/// <summary>Offline batch generation through the OpenAI and Azure OpenAI Batch API.</summary>
public static class OfflineBatchExtensions
{
    /// <summary>
    /// A client that sends its task's requests as offline batches (half the price, outside the
    /// interactive rate limits, answered within 24 hours) instead of calling the model online. Run
    /// its task in a pipeline: the step becomes a global step that submits, tracks and collects
    /// batches, resumably from the run directory. Tasks that make several dependent calls per row
    /// (the evolution tasks, magpie) are refused when the pipeline is checked.
    /// </summary>
    /// <param name="client">A client made by <see cref="OpenAIProviders"/> (<c>openai:</c>, <c>endpoint:</c>) or by Distil.AzureOpenAI (<c>azure:</c>, with a key or an Entra ID credential): one that carries an <see cref="OpenAIConnection"/>.</param>
    /// <param name="options">Batch limits and polling; the service's defaults when null.</param>
    /// <exception cref="ArgumentException">The client carries no <see cref="OpenAIConnection"/>.</exception>
    public static IChatClient UseOfflineBatchGeneration(this IChatClient client, OfflineBatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var connection = client.GetService<OpenAIConnection>() ?? throw new ArgumentException(
            "Offline batch generation needs a client made by OpenAIProviders or AzureOpenAIProviders (model specs openai:, endpoint:, azure:).",
            nameof(client));
        return new OfflineBatchChatClient(client, new OpenAIBatchClient(connection, options ?? new OfflineBatchOptions()));
    }

    private sealed class OfflineBatchChatClient(IChatClient inner, OpenAIBatchClient batches) : DelegatingChatClient(inner)
    {
        protected override void Dispose(bool disposing)
        {
            if (disposing) batches.Dispose();
            base.Dispose(disposing);
        }

        public override object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceKey is null && serviceType == typeof(IOfflineBatchClient) ? batches : base.GetService(serviceType, serviceKey);

        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("This client sends offline batches; run its task in a pipeline, which submits and collects the batches.");

        public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("This client sends offline batches; run its task in a pipeline, which submits and collects the batches.");
    }
}

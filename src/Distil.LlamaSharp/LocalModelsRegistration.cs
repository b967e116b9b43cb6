namespace Distil.LlamaSharp;

/// <summary>Registers local GGUF models in a <see cref="ChatClientFactory"/> as <c>local:PATH</c>.</summary>
public static class LocalModelsRegistration
{
    /// <summary>
    /// Registers <c>local:/path/model.gguf</c>. The weights of a file are loaded once per process,
    /// however many clients use them. The factory's resilience settings do not apply: there is no
    /// service to retry, and requests queued for a slot must not time out.
    /// </summary>
    /// <param name="factory">The factory to register with.</param>
    /// <param name="contextSize">Tokens of prompt and answer together that one request may use.</param>
    /// <param name="maxParallelRequests">How many requests one client runs at once, each with its own context.</param>
    public static ChatClientFactory AddLocalModels(this ChatClientFactory factory, uint contextSize = 2048, int maxParallelRequests = 1)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParallelRequests, 1);
        return factory.Register("local", (spec, _) =>
        {
            try
            {
                return LocalChatClient.Load(spec.Model, contextSize, maxParallelRequests);
            }
            catch (FileNotFoundException error)
            {
                throw new ModelSpecException(spec.Text, $"'{spec.Text}': {error.Message}", error);
            }
        }, useResilience: false); // in-process: nothing transient to retry, and a long wait for a slot is no fault
    }
}

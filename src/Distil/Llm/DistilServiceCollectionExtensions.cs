using Distil;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers Distil's client factory and LLM clients in a service collection (a generic host, an
/// ASP.NET Core app, a worker), on Microsoft.Extensions.AI's own <c>AddChatClient</c>.
/// </summary>
/// <example>
/// <code>
/// builder.Services.AddDistil((services, factory) => factory.AddOpenAI().AddLocalModels());
/// builder.Services.AddDistilChatClient("openai:gpt-4o-mini").UseLogging();
/// builder.Services.AddKeyedDistilChatClient("judge", "azure:gpt-4o");
/// // later: IChatClient llm = services.GetRequiredService&lt;IChatClient&gt;();
/// </code>
/// </example>
public static class DistilServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="ChatClientFactory"/> (a singleton) whose logger comes from the
    /// container's <see cref="ILoggerFactory"/>, when there is one; <paramref name="configure"/>
    /// registers providers and sets resilience, the cache and telemetry. A second call changes nothing.
    /// </summary>
    public static IServiceCollection AddDistil(this IServiceCollection services, Action<IServiceProvider, ChatClientFactory>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(provider =>
        {
            var factory = new ChatClientFactory { Logger = provider.GetService<ILoggerFactory>()?.CreateLogger("Distil") };
            configure?.Invoke(provider, factory);
            return factory;
        });
        return services;
    }

    /// <summary>
    /// Registers the <see cref="IChatClient"/> for <paramref name="spec"/> (e.g. <c>openai:gpt-4o-mini</c>),
    /// built by the registered <see cref="ChatClientFactory"/> with its resilience, cache and telemetry;
    /// returns Microsoft.Extensions.AI's builder, to add middleware around it.
    /// </summary>
    /// <exception cref="InvalidOperationException">When resolved: <see cref="AddDistil"/> was not called.</exception>
    public static ChatClientBuilder AddDistilChatClient(this IServiceCollection services, string spec)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        return services.AddChatClient(provider => Factory(provider).Create(spec));
    }

    /// <summary>As <see cref="AddDistilChatClient"/>, registered under <paramref name="key"/> (a judge beside a generator).</summary>
    public static ChatClientBuilder AddKeyedDistilChatClient(this IServiceCollection services, object? key, string spec)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        return services.AddKeyedChatClient(key, provider => Factory(provider).Create(spec));
    }

    private static ChatClientFactory Factory(IServiceProvider provider) =>
        provider.GetService<ChatClientFactory>()
        ?? throw new InvalidOperationException("No Distil ChatClientFactory is registered: call services.AddDistil(...) to register one, with its providers (factory.AddOpenAI()).");
}

using Distil;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers Distil's client factory and LLM clients in a service collection (a generic host, an
/// ASP.NET Core app, a worker), on Microsoft.Extensions.AI's own <c>AddChatClient</c>.
/// </summary>
/// <example>
/// <code>
/// // appsettings.json: { "Distil": { "Resilience": { "MaxRetries": 4, "RequestsPerMinute": 500 } } }
/// builder.Services.AddDistil((services, factory) => factory.AddOpenAI().AddLocalModels());
/// builder.Services.AddDistilChatClient("openai:gpt-4o-mini").UseLogging();
/// builder.Services.AddKeyedDistilChatClient("judge", "azure:gpt-4o");
/// // later: IChatClient llm = services.GetRequiredService&lt;IChatClient&gt;();
/// </code>
/// </example>
public static class DistilServiceCollectionExtensions
{
    /// <summary>The configuration section <see cref="ResilienceOptions"/> are bound from.</summary>
    public const string ResilienceSection = "Distil:Resilience";

    /// <summary>
    /// Registers one <see cref="ChatClientFactory"/> (a singleton) whose logger comes from the
    /// container's <see cref="ILoggerFactory"/>, when there is one, and whose
    /// <see cref="ChatClientFactory.Resilience"/> is <c>IOptions&lt;ResilienceOptions&gt;</c>: bound from the
    /// configuration section <c>Distil:Resilience</c> (when the container has an <see cref="IConfiguration"/>)
    /// and checked when the host starts, so a wrong value stops it with the setting's name.
    /// <paramref name="configure"/> registers providers and sets the cache and telemetry. A second call changes nothing.
    /// </summary>
    public static IServiceCollection AddDistil(this IServiceCollection services, Action<IServiceProvider, ChatClientFactory>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ResilienceOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<ResilienceOptions>, ResilienceFromConfiguration>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ResilienceOptions>, ResilienceValidation>());
        services.TryAddSingleton(provider =>
        {
            var factory = new ChatClientFactory
            {
                Logger = provider.GetService<ILoggerFactory>()?.CreateLogger("Distil"),
                Resilience = provider.GetRequiredService<IOptions<ResilienceOptions>>().Value,
            };
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

    // Binds Distil:Resilience when the container has configuration; a host without any keeps the defaults.
    private sealed class ResilienceFromConfiguration(IServiceProvider services) : IConfigureOptions<ResilienceOptions>
    {
        public void Configure(ResilienceOptions options) =>
            services.GetService<IConfiguration>()?.GetSection(ResilienceSection).Bind(options);
    }

    private sealed class ResilienceValidation : IValidateOptions<ResilienceOptions>
    {
        public ValidateOptionsResult Validate(string? name, ResilienceOptions options)
        {
            try
            {
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentOutOfRangeException error)
            {
                return ValidateOptionsResult.Fail($"{ResilienceSection}:{error.ParamName} is {error.ActualValue}: {ErrorText.Of(error).Split('\n')[0].TrimEnd('\r')}");
            }
        }
    }
}

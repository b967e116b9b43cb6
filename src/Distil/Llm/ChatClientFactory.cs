using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

namespace Distil;

/// <summary>
/// Turns a <see cref="ModelSpec"/> string such as <c>openai:gpt-4o-mini</c> into a ready
/// <see cref="IChatClient"/>: the provider's client, wrapped in the response cache (when
/// <see cref="Cache"/> is set) and the resilience middleware (unless <see cref="Resilience"/> is
/// null, or the provider was registered without it, as local models are). Providers come from their packages: <c>AddOpenAI()</c> in Distil.OpenAI registers
/// <c>openai</c> and <c>endpoint</c>; <c>AddAzureOpenAI()</c> in Distil.AzureOpenAI registers <c>azure</c>; <c>AddLocalModels()</c> in Distil.LlamaSharp
/// registers <c>local</c>.
/// </summary>
/// <example>
/// <code>
/// var llms = new ChatClientFactory { Logger = logger }.AddOpenAI().AddLocalModels();
/// using var llm = llms.Create("endpoint:http://127.0.0.1:8000/v1#qwen2.5-7b-instruct");
/// </code>
/// </example>
public sealed class ChatClientFactory
{
    // Where each well-known provider comes from, for the error that meets a missing registration.
    private static readonly Dictionary<string, string> KnownProviders = new(StringComparer.Ordinal)
    {
        ["openai"] = "the Distil.OpenAI package (factory.AddOpenAI())",
        ["azure"] = "the Distil.AzureOpenAI package (factory.AddAzureOpenAI())",
        ["endpoint"] = "the Distil.OpenAI package (factory.AddOpenAI())",
        ["local"] = "the Distil.LlamaSharp package (factory.AddLocalModels())",
    };

    private readonly Dictionary<string, Registration> _providers = new(StringComparer.Ordinal);

    // Rule: one limit on calls in flight per model (provider, servers and model alike), shared by
    // every client made for it: three steps on one two-slot server share its two slots. Behind a
    // load-balanced spec, one per server.
    private readonly Dictionary<string, AdaptiveConcurrency> _limits = new(StringComparer.Ordinal);

    /// <summary>Retries, limits and timeouts put around every client (default <see cref="ResilienceOptions"/>; null: none).</summary>
    public ResilienceOptions? Resilience { get; set; } = new();

    /// <summary>
    /// When set, every client answers repeated requests from this cache: Distil's SQLite file
    /// (<c>ResponseCache.Open</c> of Distil.Pipelines) or any <see cref="IDistributedCache"/> (Redis, SQL Server).
    /// </summary>
    public IDistributedCache? Cache { get; set; }

    /// <summary>How long cached answers are kept (null, the default: until the cache is cleared).</summary>
    public DistributedCacheEntryOptions? CacheEntryOptions { get; set; }

    /// <summary>
    /// How calls are shared among several servers of one model (<c>endpoint:URL1,URL2#model</c>):
    /// per-server bounds, ejection of failing servers. Its <c>ServerTimeout</c> defaults to
    /// <see cref="ResilienceOptions.AttemptTimeout"/>, which then applies per server.
    /// </summary>
    public LoadBalancerOptions? LoadBalancing { get; set; }

    /// <summary>Receives retries and cache warnings.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// Records every LLM call attempt as an OpenTelemetry span and the GenAI metrics
    /// (<c>gen_ai.client.token.usage</c>, <c>gen_ai.client.operation.duration</c>) on
    /// <see cref="DistilDiagnostics.SourceName"/>, with the GenAI semantic conventions (Microsoft.Extensions.AI's
    /// <c>UseOpenTelemetry</c>). It sits inside the cache and the retries, so each attempt of a retried
    /// call is its own span and a cached answer makes none. Default true; costs nothing without a listener.
    /// </summary>
    public bool Telemetry { get; set; } = true;

    /// <summary>
    /// Whether spans carry prompts and answers (default false: they hold sizes, models, token counts
    /// and finish reasons, never message text). Keys and other secrets are never recorded either way.
    /// </summary>
    public bool EnableSensitiveData { get; set; }

    /// <summary>
    /// Adds middleware of your own to every client, between the retries and the provider (so it sees
    /// each attempt), given the builder and the model spec; e.g. <c>(builder, spec) =&gt; builder.UseLogging(loggerFactory)</c>.
    /// </summary>
    public Action<ChatClientBuilder, ModelSpec>? Configure { get; set; }

    /// <summary>
    /// Reads the environment variables providers take keys and endpoints from. Defaults to the
    /// process environment; tests and hosts may supply their own.
    /// </summary>
    public Func<string, string?> Environment { get; set; } = System.Environment.GetEnvironmentVariable;

    /// <summary>The providers registered, e.g. <c>openai</c>, <c>local</c>.</summary>
    public IReadOnlyCollection<string> Providers => _providers.Keys;

    /// <summary>Registers (or replaces) the provider called <paramref name="name"/>.</summary>
    /// <param name="name">The spec prefix, lower case, e.g. <c>openai</c>.</param>
    /// <param name="create">Builds the provider's client; throws <see cref="ModelSpecException"/> when something is missing.</param>
    /// <param name="useResilience">
    /// False for providers that need no retries, rate limits or attempt timeouts, such as an
    /// in-process model, whose requests may wait long for a slot without anything being wrong.
    /// </param>
    public ChatClientFactory Register(string name, Func<ModelSpec, ChatClientFactory, IChatClient> create, bool useResilience = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(create);
        _providers[name.ToLowerInvariant()] = new Registration(create, useResilience);
        return this;
    }

    /// <summary>Builds the client for <paramref name="spec"/>.</summary>
    /// <exception cref="ModelSpecException">The spec is malformed, its provider is not registered, or a key, endpoint or file is missing.</exception>
    public IChatClient Create(string spec) => Create(ModelSpec.Parse(spec));

    /// <inheritdoc cref="Create(string)"/>
    public IChatClient Create(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Resilience?.Validate();
        if (!_providers.TryGetValue(spec.Provider, out var registration))
        {
            var known = _providers.Count == 0 ? "none" : string.Join(", ", _providers.Keys.Order(StringComparer.Ordinal));
            var hint = KnownProviders.TryGetValue(spec.Provider, out var source)
                ? $" The '{spec.Provider}' provider comes with {source}."
                : "";
            throw new ModelSpecException(spec.Text,
                $"Unknown model provider '{spec.Provider}' in '{spec.Text}'. Registered providers: {known}.{hint}");
        }

        var resilience = Resilience is not null && registration.UseResilience ? Resilience : null;
        ChatClientBuilder builder;
        if (spec.Endpoints.Count > 1)
        {
            // One client per server, each with its own telemetry (a span per attempt, per server);
            // the balancer enforces the attempt timeout per server and moves a failed call on.
            var balancing = LoadBalancing ?? new LoadBalancerOptions { ServerTimeout = resilience?.AttemptTimeout };
            // Adaptive per server: each server's own capacity is what is found; the model's bound stays fixed above them.
            var perServer = resilience is { AdaptiveConcurrency: true };
            var servers = spec.Endpoints.Select(endpoint =>
            {
                var server = registration.Create(spec with { Endpoint = endpoint, Endpoints = [endpoint] }, this).AsBuilder();
                Configure?.Invoke(server, spec);
                if (Telemetry) server.UseOpenTelemetry(sourceName: DistilDiagnostics.SourceName, configure: telemetry => telemetry.EnableSensitiveData = EnableSensitiveData);
                return (ServerName(endpoint), server.Build());
            }).ToList();
            var limits = perServer
                ? servers.Select(server => SharedLimit(spec, server.Item1, balancing.MaxConcurrentPerServer, adaptive: true)).ToList()
                : null;
            builder = new LoadBalancingChatClient(servers, balancing, Logger, time: null, limits).AsBuilder();
            if (Cache is not null) UseCache(builder);
            if (resilience is not null)
            {
                var modelLimit = SharedLimit(spec, null, resilience.MaxConcurrentRequests, adaptive: false);
                builder.Use(inner => new ResilientChatClient(inner, resilience with { AttemptTimeout = null, AdaptiveConcurrency = false }, Logger, modelLimit));
            }
            return builder.Build();
        }

        builder = registration.Create(spec, this).AsBuilder();
        if (Cache is not null) UseCache(builder);
        if (resilience is not null)
        {
            var limit = SharedLimit(spec, null, resilience.MaxConcurrentRequests, resilience.AdaptiveConcurrency);
            builder.Use(inner => new ResilientChatClient(inner, resilience, Logger, limit));
        }
        Configure?.Invoke(builder, spec);
        // Innermost, next to the provider: one span per attempt, none for a cached answer.
        if (Telemetry) builder.UseOpenTelemetry(sourceName: DistilDiagnostics.SourceName, configure: telemetry => telemetry.EnableSensitiveData = EnableSensitiveData);
        return builder.Build();
    }

    // The limit of the model of spec (of one of its servers, when named), made on first use.
    // Keyed by what identifies the deployment, never shown: the name it carries has no address.
    private AdaptiveConcurrency SharedLimit(ModelSpec spec, string? server, int? ceiling, bool adaptive)
    {
        var key = string.Join('\n', spec.Provider, string.Join(',', spec.Endpoints.Select(ServerName)), spec.Model, server ?? "", ceiling, adaptive);
        lock (_limits)
        {
            if (!_limits.TryGetValue(key, out var limit)) _limits[key] = limit = new AdaptiveConcurrency(spec.Model, server, ceiling, adaptive);
            return limit;
        }
    }

    // A server's name for messages and counts: its address without credentials or query.
    private static string ServerName(Uri endpoint) => ServerNames.Of(endpoint);

    private void UseCache(ChatClientBuilder builder) =>
        builder.UseResponseCache(Cache, cache =>
        {
            if (Logger is not null) cache.Logger = Logger;
            cache.EntryOptions = CacheEntryOptions;
        });

    private sealed record Registration(Func<ModelSpec, ChatClientFactory, IChatClient> Create, bool UseResilience);

    /// <summary>The value of environment variable <paramref name="name"/>, or an error that says to set it.</summary>
    /// <exception cref="ModelSpecException">The variable is not set.</exception>
    public string RequireEnvironment(ModelSpec spec, string name, string purpose)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var value = Environment(name);
        return string.IsNullOrWhiteSpace(value)
            ? throw new ModelSpecException(spec.Text, $"'{spec.Text}' needs {purpose}: set the environment variable {name}.")
            : value;
    }
}

using Distil.OpenAI;
using Distil.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>Distil's clients from a service container, against the fake OpenAI server.</summary>
public class DependencyInjectionTests : FakeServerTests
{
    private void AddDistil(IServiceCollection services) =>
        services.AddDistil((_, factory) =>
        {
            factory.Resilience = FakeServerClients.FastRetries;
            factory.Environment = name => name switch
            {
                OpenAIProviders.OpenAIKeyVariable => "test-key",
                OpenAIProviders.OpenAIBaseUrlVariable => Server.BaseUrl.ToString(),
                _ => null,
            };
            factory.AddOpenAI();
        });

    [Test]
    public async Task A_registered_client_runs_a_task_with_the_factory_s_retries_and_the_container_s_logging()
    {
        // One transient fault: the factory's retries, inside the registered client, get past it.
        Server.Reply = r => r.Index == 0 ? new FakeReply.ServerError(503) : new FakeReply.Answer(EchoTask.Answer(r));
        var logs = new Support.ListLogger();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(new SingleLoggerFactory(logs));
        AddDistil(services);
        services.AddDistilChatClient("openai:fake-model");
        await using var provider = services.BuildServiceProvider();

        var task = new EchoTask { Llm = provider.GetRequiredService<IChatClient>(), UseDefaultStructuredOutput = true };
        var rows = await task.ProcessAsync(EchoTask.Rows(3)).ToListAsync();

        Assert.That(rows.Select(r => r["echo"]), Has.None.Null, "every row answered");
        Assert.That(Server.RequestCount, Is.EqualTo(4), "three calls, one retried");
        Assert.That(logs.Warnings, Has.Some.Contains("503"), "the retry was logged through the container's logging");
    }

    [Test]
    public async Task Keyed_clients_talk_to_their_own_models()
    {
        Server.Reply = FakeReplies.Answering(r => "model " + r.Model);
        var services = new ServiceCollection();
        AddDistil(services);
        services.AddKeyedDistilChatClient("generator", "openai:small-model");
        services.AddKeyedDistilChatClient("judge", "openai:large-model");
        await using var provider = services.BuildServiceProvider();

        var generator = await provider.GetRequiredKeyedService<IChatClient>("generator").GetResponseAsync("hi");
        var judge = await provider.GetRequiredKeyedService<IChatClient>("judge").GetResponseAsync("hi");

        Assert.That((generator.Text, judge.Text), Is.EqualTo(("model small-model", "model large-model")));
    }

    // A host as a worker builds it: settings from configuration (here in memory, as appsettings.json would give them).
    private IHost BuildHost(Dictionary<string, string?> settings, Action<IServiceProvider, ChatClientFactory>? configure = null, bool cache = false)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        if (cache) builder.Services.AddDistributedMemoryCache();
        builder.Services.AddDistil((services, factory) =>
        {
            factory.Environment = name => name switch
            {
                OpenAIProviders.OpenAIKeyVariable => "test-key",
                OpenAIProviders.OpenAIBaseUrlVariable => Server.BaseUrl.ToString(),
                _ => null,
            };
            factory.AddOpenAI();
            configure?.Invoke(services, factory);
        });
        builder.Services.AddDistilChatClient(builder.Configuration["Model"]!);
        return builder.Build();
    }

    [Test]
    public async Task A_host_built_from_configuration_runs_a_task_with_the_configured_resilience()
    {
        // Every call fails: with MaxRetries 2 from configuration, each is sent three times.
        Server.Reply = _ => new FakeReply.ServerError(503);
        using var host = BuildHost(new()
        {
            ["Model"] = "openai:fake-model",
            ["Distil:Resilience:MaxRetries"] = "2",
            ["Distil:Resilience:BaseDelay"] = "00:00:00.002",
            ["Distil:Resilience:MaxDelay"] = "00:00:00.010",
            ["Distil:Resilience:RequestsPerMinute"] = "6000",
        });
        await host.StartAsync();

        var resilience = host.Services.GetRequiredService<IOptions<ResilienceOptions>>().Value;
        var task = new EchoTask { Llm = host.Services.GetRequiredService<IChatClient>() };
        var rows = await task.ProcessAsync(EchoTask.Rows(1)).ToListAsync();

        Assert.That((resilience.MaxRetries, resilience.BaseDelay, resilience.RequestsPerMinute),
            Is.EqualTo((2, TimeSpan.FromMilliseconds(2), (int?)6000)));
        Assert.That(host.Services.GetRequiredService<ChatClientFactory>().Resilience, Is.SameAs(resilience));
        Assert.That(Server.RequestCount, Is.EqualTo(3), "one call and two retries");
        Assert.That(rows.Single()["echo"], Is.Null, "the row is kept, without an answer");
        await host.StopAsync();
    }

    [Test]
    public void A_wrong_setting_stops_the_host_at_start_naming_it()
    {
        using var host = BuildHost(new() { ["Model"] = "openai:fake-model", ["Distil:Resilience:MaxRetries"] = "-1" });

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Message, Does.Contain("Distil:Resilience:MaxRetries is -1").And.Contain("must be 0 or more"));
    }

    [Test]
    public async Task The_cache_registered_in_the_container_answers_a_rerun()
    {
        Server.Reply = FakeReplies.Answering(EchoTask.Answer);
        using var host = BuildHost(new() { ["Model"] = "openai:fake-model" }, (services, factory) =>
        {
            factory.Resilience = FakeServerClients.FastRetries;
            factory.Cache = services.GetRequiredService<IDistributedCache>();
        }, cache: true);
        var task = new EchoTask { Llm = host.Services.GetRequiredService<IChatClient>() };

        await task.ProcessAsync(EchoTask.Rows(5)).ToListAsync();
        await task.ProcessAsync(EchoTask.Rows(5)).ToListAsync();

        Assert.That(Server.RequestCount, Is.EqualTo(5), "the second run came from the cache");
    }

    [Test]
    public void A_client_without_AddDistil_says_what_to_call()
    {
        var services = new ServiceCollection();
        services.AddDistilChatClient("openai:fake-model");
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IChatClient>());

        Assert.That(error!.Message, Does.Contain("services.AddDistil("));
    }

    private sealed class SingleLoggerFactory(ILogger logger) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => logger;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }
}

using Distil.OpenAI;
using Distil.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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

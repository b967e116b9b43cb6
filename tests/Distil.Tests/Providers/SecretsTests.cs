using System.Text;
using Distil.Testing;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Data.Sqlite;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>An API key reaches the service and nothing else: not logs, errors, metadata, cache or output.</summary>
public class SecretsTests
{
    private const string Key = "sk-distil-test-SECRET-4f9c2e";

    [Test]
    public async Task The_api_key_never_leaves_the_request()
    {
        await using var server = await FakeOpenAIServer.StartAsync();
        // Every kind of failure, then a run that fails for good: all the paths that log or raise.
        server.Reply = FakeReplies.Answering(EchoTask.Answer).WithTransientFaults(0.5, seed: 3);
        using var folder = new TempFolder("distil-secrets-");
        // A folder of its own that does not exist yet: the cache creates it.
        var directory = folder.File("cache");
        var logger = new ListLogger();
        var rows = new List<string>();
        var errors = new StringBuilder();
        using (var cache = ResponseCache.Open(Path.Combine(directory, "cache.db")))
        {
            var factory = FakeServerClients.Factory(server, logger, FakeServerClients.FastRetries with { MaxRetries = 1 }, cache, apiKey: Key);
            using var llm = factory.Create("openai:fake-model");
            var task = new EchoTask { Llm = llm, Logger = logger, MaxConcurrency = 4, UseDefaultStructuredOutput = true };
            await foreach (var row in task.ProcessAsync(EchoTask.Rows(60))) rows.Add(row.ToJsonString());

            server.Reply = _ => new FakeReply.ServerError(401);
            try { await llm.GetResponseAsync("hi"); }
            catch (Exception error) { errors.AppendLine(error.ToString()); }
        }
        SqliteConnection.ClearAllPools();

        Assert.That(server.Requests.All(r => r.HasCredential), "the key was sent");
        Assert.That(logger.Warnings.Count(), Is.GreaterThan(10), "the run logged failures");
        Assert.That(logger.Text, Does.Not.Contain(Key), "logs");
        Assert.That(errors.ToString(), Does.Contain("401"), "the refused call threw, and its exception was checked");
        Assert.That(errors.ToString(), Does.Not.Contain(Key), "exceptions");
        Assert.That(string.Join("\n", rows), Does.Not.Contain(Key), "output rows and their metadata");
        foreach (var file in Directory.GetFiles(directory))
        {
            Assert.That(Encoding.UTF8.GetString(File.ReadAllBytes(file)), Does.Not.Contain(Key), Path.GetFileName(file));
        }
    }

    [Test]
    public void A_missing_or_bad_setting_is_reported_without_the_key()
    {
        var factory = new ChatClientFactory
        {
            Environment = name => name switch
            {
                "AZURE_OPENAI_API_KEY" => Key,
                "AZURE_OPENAI_ENDPOINT" => "not a url " + Key,
                _ => null,
            },
        };
        Distil.AzureOpenAI.AzureOpenAIProviders.AddAzureOpenAI(factory);

        var error = Assert.Throws<ModelSpecException>(() => factory.Create("azure:dep"))!;

        Assert.That(error.Message, Does.Contain("AZURE_OPENAI_ENDPOINT").And.Not.Contain(Key));
    }
}

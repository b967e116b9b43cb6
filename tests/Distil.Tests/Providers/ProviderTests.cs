using System.Text.Json.Nodes;
using Distil.AzureOpenAI;
using Distil.OpenAI;
using Distil.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>The OpenAI, endpoint and Azure providers, over real HTTP to the fake server.</summary>
public class ProviderTests : FakeServerTests
{
    [Test]
    public async Task Generation_settings_reach_the_service_in_every_request()
    {
        Server.Reply = FakeReplies.Answering(EchoTask.Answer);
        using var llm = FakeServerClients.OpenAI(Server);
        var task = new EchoTask
        {
            Llm = llm,
            GenerationOptions = new ChatOptions
            {
                Temperature = 0.25f, TopP = 0.5f, MaxOutputTokens = 77, Seed = 9, StopSequences = ["###"],
            },
        };

        var rows = await task.ProcessAsync(EchoTask.Rows(2)).ToListAsync();

        Assert.That(rows.Select(r => (string?)r["echo"]), Is.EqualTo(new[] { "0", "1" }));
        Assert.That((string?)rows[0]["model_name"], Is.EqualTo("fake-model"));
        foreach (var request in Server.Requests)
        {
            var body = request.Body;
            Assert.That(request.Path, Is.EqualTo("/v1/chat/completions"));
            Assert.That(request.HasCredential, "the key is sent");
            Assert.That((string?)body["model"], Is.EqualTo("fake-model"));
            Assert.That((double?)body["temperature"], Is.EqualTo(0.25).Within(1e-6));
            Assert.That((double?)body["top_p"], Is.EqualTo(0.5).Within(1e-6));
            Assert.That((int?)(body["max_completion_tokens"] ?? body["max_tokens"]), Is.EqualTo(77));
            Assert.That((long?)body["seed"], Is.EqualTo(9));
            Assert.That(body["stop"]!.ToJsonString(), Is.EqualTo("[\"###\"]"));
        }
        var statistics = rows[0]["distilabel_metadata"]!["statistics_echo"]!;
        Assert.That((long?)statistics["output_tokens"], Is.EqualTo(1), "usage comes from the service's answer");
    }

    [Test]
    public async Task Each_generation_is_its_own_request_with_its_own_seed_and_no_n()
    {
        Server.Reply = FakeReplies.Answering(EchoTask.Answer);
        using var llm = FakeServerClients.OpenAI(Server);
        var task = new EchoTask { Llm = llm, NumGenerations = 3, GenerationOptions = new ChatOptions { Seed = 100 } };

        var rows = await task.ProcessAsync(EchoTask.Rows(1)).ToListAsync();

        Assert.That(rows, Has.Count.EqualTo(3));
        Assert.That(Server.Requests.Select(r => (long?)r.Body["seed"]), Is.EquivalentTo(new long?[] { 100, 101, 102 }));
        Assert.That(Server.Requests.Select(r => r.Body["n"]), Is.All.Null, "providers differ on n: Distil never relies on it");
    }

    [Test]
    public async Task Structured_output_sends_the_strict_schema_and_nothing_of_Distils_own()
    {
        Server.Reply = FakeReplies.Answering(EchoTask.Answer);
        using var llm = FakeServerClients.OpenAI(Server);
        var task = new EchoTask { Llm = llm, UseDefaultStructuredOutput = true, NumGenerations = 2 };

        await task.ProcessAsync(EchoTask.Rows(1)).ToListAsync();

        Assert.That(Server.Requests, Has.Count.EqualTo(2), "one request per generation reached the server");
        foreach (var request in Server.Requests)
        {
            var format = request.Body["response_format"]!;
            Assert.That((string?)format["type"], Is.EqualTo("json_schema"));
            Assert.That((bool?)format["json_schema"]!["strict"], Is.True);
            Assert.That((string?)format["json_schema"]!["name"], Is.EqualTo("echo"));
            Assert.That(JsonNode.DeepEquals(format["json_schema"]!["schema"], JsonNode.Parse(new EchoTask().StructuredOutputSchema)));
            var body = request.Body.ToJsonString();
            Assert.That(body, Does.Not.Contain("distil.").And.Not.Contain("root ::="), "Distil's own options stay in the process");
        }
    }

    [Test]
    public async Task A_task_name_OpenAI_would_refuse_as_a_schema_name_is_made_safe()
    {
        Server.Reply = FakeReplies.Answering(EchoTask.Answer);
        using var llm = FakeServerClients.OpenAI(Server);
        var task = new EchoTask { Llm = llm, UseDefaultStructuredOutput = true, Name = "echo v2.1 (test)" };

        await task.ProcessAsync(EchoTask.Rows(1)).ToListAsync();

        Assert.That((string?)Server.Requests.Single().Body["response_format"]!["json_schema"]!["name"], Is.EqualTo("echo_v2_1__test_"));
    }

    [Test]
    public async Task Endpoint_specs_reach_any_OpenAI_compatible_base_url()
    {
        Server.Reply = FakeReplies.Answering(_ => "hello");
        var factory = new ChatClientFactory { Environment = _ => null }.AddOpenAI();
        using var llm = factory.Create($"endpoint:{Server.BaseUrl}#served-model");

        var response = await llm.GetResponseAsync("hi");

        Assert.That(response.Text, Is.EqualTo("hello"));
        Assert.That((string?)Server.Requests.Single().Body["model"], Is.EqualTo("served-model"));
        Assert.That(llm.GetService<ChatClientMetadata>()?.DefaultModelId, Is.EqualTo("served-model"));
    }

    [Test]
    public async Task An_endpoint_with_or_without_its_trailing_slash_is_one_model()
    {
        Server.Reply = FakeReplies.Answering(_ => "hello");
        var factory = new ChatClientFactory { Environment = _ => null }.AddOpenAI();
        var bare = Server.BaseUrl.AbsoluteUri.TrimEnd('/');
        using var withSlash = factory.Create($"endpoint:{bare}/#served-model");
        using var without = factory.Create($"endpoint:{bare}#served-model");

        Assert.That((await withSlash.GetResponseAsync("hi")).Text, Is.EqualTo("hello"));
        Assert.That((await without.GetResponseAsync("hi")).Text, Is.EqualTo("hello"));
        // The answer keys and step signatures of a run directory are made from this identity.
        Assert.That(withSlash.GetService<ChatClientMetadata>()!.ProviderUri, Is.EqualTo(without.GetService<ChatClientMetadata>()!.ProviderUri));
        Assert.That(ModelSpec.Parse($"endpoint:{bare}/#m").Endpoint, Is.EqualTo(ModelSpec.Parse($"endpoint:{bare}#m").Endpoint));
    }

    [Test]
    public async Task Azure_specs_call_the_deployment_with_the_key()
    {
        Server.Reply = FakeReplies.Answering(_ => "from azure");
        using var llm = FakeServerClients.Factory(Server).Create("azure:my-deployment");

        var response = await llm.GetResponseAsync("hi");

        Assert.That(response.Text, Is.EqualTo("from azure"));
        var request = Server.Requests.Single();
        Assert.That(request.Path, Is.EqualTo("/openai/deployments/my-deployment/chat/completions"));
        Assert.That(request.HasCredential);
    }

    [Test]
    public void A_missing_key_says_which_variable_to_set()
    {
        var factory = new ChatClientFactory { Environment = _ => null }.AddOpenAI();

        var error = Assert.Throws<ModelSpecException>(() => factory.Create("openai:gpt-4o-mini"))!;

        Assert.That(error.Message, Does.Contain("OPENAI_API_KEY").And.Contain("openai:gpt-4o-mini"));
    }

    [Test]
    public void Azure_without_endpoint_or_credential_says_what_is_missing()
    {
        var noEndpoint = new ChatClientFactory { Environment = _ => null }.AddAzureOpenAI();
        Assert.That(() => noEndpoint.Create("azure:dep"),
            Throws.TypeOf<ModelSpecException>().With.Message.Contains(AzureOpenAIProviders.EndpointVariable));

        var noKey = new ChatClientFactory
        {
            Environment = name => name == AzureOpenAIProviders.EndpointVariable ? "https://example.openai.azure.com/" : null,
        }.AddAzureOpenAI();
        Assert.That(() => noKey.Create("azure:dep"),
            Throws.TypeOf<ModelSpecException>().With.Message.Contains(AzureOpenAIProviders.KeyVariable).And.Message.Contains("TokenCredential"));
    }

    [Test]
    public void Azure_specs_without_the_Azure_package_registered_name_the_package()
    {
        // Azure lives in Distil.AzureOpenAI (a prerelease, for its beta SDK): AddOpenAI() alone does not register it.
        var factory = new ChatClientFactory
        {
            Environment = name => name == AzureOpenAIProviders.EndpointVariable ? "https://example.openai.azure.com/" : "key",
        }.AddOpenAI();

        Assert.That(() => factory.Create("azure:dep"),
            Throws.TypeOf<ModelSpecException>().With.Message.Contains("Unknown model provider 'azure'")
                .And.Message.Contains("Distil.AzureOpenAI package").And.Message.Contains("AddAzureOpenAI()"));
        Assert.That(() => OpenAIProviders.CreateEmbeddingGenerator("azure:embedder", _ => "https://example.openai.azure.com/"),
            Throws.TypeOf<ModelSpecException>().With.Message.Contains("Distil.AzureOpenAI").And.Message.Contains("AzureOpenAIProviders.CreateEmbeddingGenerator"));
    }

    [Test]
    public async Task Azure_embeddings_call_the_deployment_with_the_key()
    {
        using var generator = AzureOpenAIProviders.CreateEmbeddingGenerator("azure:embedder", name => name switch
        {
            AzureOpenAIProviders.EndpointVariable => Server.Endpoint.ToString(),
            AzureOpenAIProviders.KeyVariable => "test-key",
            _ => null,
        });

        var embeddings = await generator.GenerateAsync(["one", "two"]);

        // The fake server answers embeddings only at /v1/embeddings and at Azure's deployment route.
        Assert.That(embeddings, Has.Count.EqualTo(2));
        Assert.That((Server.EmbeddingRequestCount, Server.EmbeddedTexts), Is.EqualTo((1, 2)));
        Assert.That(() => AzureOpenAIProviders.CreateEmbeddingGenerator("openai:text-embedding-3-small"),
            Throws.TypeOf<ModelSpecException>().With.Message.Contains("not an Azure OpenAI deployment"));
    }

    [TestCase("gpt-4o-mini", "not a model spec")]
    [TestCase("", "empty")]
    [TestCase("openai:   ", "not a model spec")]
    [TestCase("endpoint:http://127.0.0.1:8000/v1", "names no model")]
    [TestCase("endpoint:ftp://host/v1#m", "not an http(s) URL")]
    [TestCase("mystery:model", "Unknown model provider 'mystery'")]
    public void Malformed_specs_say_what_is_wrong(string spec, string expected)
    {
        var factory = new ChatClientFactory { Environment = _ => null }.AddOpenAI();

        Assert.That(() => factory.Create(spec), Throws.TypeOf<ModelSpecException>().With.Message.Contains(expected));
    }

    [Test]
    public void An_unregistered_well_known_provider_names_its_package()
    {
        var factory = new ChatClientFactory().AddOpenAI();

        Assert.That(() => factory.Create("local:model.gguf"),
            Throws.TypeOf<ModelSpecException>().With.Message.Contains("Distil.LlamaSharp").And.Message.Contains("AddLocalModels"));
    }
}

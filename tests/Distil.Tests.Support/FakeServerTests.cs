using Distil.Testing;
using NUnit.Framework;

namespace Distil.Tests.Providers;

/// <summary>Tests that talk HTTP to a fresh fake server each.</summary>
public abstract class FakeServerTests
{
    protected FakeOpenAIServer Server { get; private set; } = null!;

    [SetUp]
    public async Task StartServer() => Server = await FakeOpenAIServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await Server.DisposeAsync();
}

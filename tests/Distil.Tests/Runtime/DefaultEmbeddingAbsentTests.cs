using System.Text.Json.Nodes;
using Distil.Pipelines;
using NUnit.Framework;

namespace Distil.Tests.Runtime;

/// <summary>
/// The core tests run without Distil.MiniLM (nothing here references it): an embed step without a
/// generator is refused at once, naming the package to add.
/// </summary>
public class DefaultEmbeddingAbsentTests
{
    [Test]
    public void Embed_without_a_generator_and_without_the_MiniLM_package_names_the_package()
    {
        Assert.That(AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name), Has.None.EqualTo("Distil.MiniLM"));
        Assert.That(EmbeddingGenerators.HasDefault, Is.False);

        var pipeline = Pipeline.Create("no-default").Load([new JsonObject { ["text"] = "a" }]);

        Assert.That(() => pipeline.Embed("text"), Throws.InvalidOperationException
            .With.Message.Contains("add the Distil.MiniLM package").And.Message.Contains("Embed(column, generator)"));
    }
}

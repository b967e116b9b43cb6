using System.Reflection;
using NUnit.Framework;

namespace Distil.Tests.Templates;

/// <summary>
/// Every task in the repository's catalogue, core tests, samples and benchmarks renders exactly what
/// Scriban renders for the same template and values, on many varied inputs (the pipeline tests check
/// their own tasks the same way).
/// </summary>
public class CompiledTemplateMatchesScribanTests
{
    public static IEnumerable<TestCaseData> AllTasks() => CompiledTemplates.Cases(
        typeof(CompiledTemplateMatchesScribanTests).Assembly,
        typeof(Distil.Quickstart.ReviewSummary).Assembly,
        typeof(Distil.Samples.TaskTests.SentimentTask).Assembly,
        typeof(Distil.Benchmarks.ThreeResponseScorer).Assembly,
        typeof(Distil.Tasks.QualityScorer).Assembly);

    [TestCaseSource(nameof(AllTasks))]
    public void Compiled_rendering_equals_Scriban(Type taskType) => CompiledTemplates.AssertMatchesScriban(taskType);

    [Test]
    public void The_repository_has_tasks_to_check()
    {
        Assert.That(AllTasks().Count(), Is.GreaterThanOrEqualTo(8));
    }
}

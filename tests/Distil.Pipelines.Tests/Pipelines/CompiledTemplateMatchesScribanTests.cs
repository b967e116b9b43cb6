using NUnit.Framework;

namespace Distil.Tests.Pipelines;

/// <summary>The tasks these pipeline tests declare render exactly what Scriban renders (see Distil.Tests' check of the rest).</summary>
public class CompiledTemplateMatchesScribanTests
{
    public static IEnumerable<TestCaseData> PipelineTestTasks() => Templates.CompiledTemplates.Cases(typeof(CompiledTemplateMatchesScribanTests).Assembly);

    [TestCaseSource(nameof(PipelineTestTasks))]
    public void Compiled_rendering_equals_Scriban(Type taskType) => Templates.CompiledTemplates.AssertMatchesScriban(taskType);
}

using Distil.Pipelines;
using NUnit.Framework;

namespace Distil.Tests.Evaluation;

/// <summary>
/// Microsoft.Extensions.AI.Evaluation lives in the Distil.Evaluation package: a program that
/// references only Distil does not load it, and the evaluation types come from the package.
/// </summary>
public class EvaluationPackageTests
{
    [Test]
    public void Distil_does_not_reference_Microsoft_Extensions_AI_Evaluation()
    {
        var references = typeof(LlmTask).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();

        Assert.That(references, Has.None.StartsWith("Microsoft.Extensions.AI.Evaluation"));
        Assert.That(typeof(LlmTask).Assembly.GetType("Distil.TaskEvaluator"), Is.Null);
        Assert.That(typeof(StepHandle).GetMethods().Select(m => m.Name), Has.None.EqualTo("Evaluate"));
    }

    [Test]
    public void The_evaluation_types_come_from_the_Distil_Evaluation_package_in_the_namespaces_users_already_write()
    {
        Assert.That(typeof(TaskEvaluator).Assembly.GetName().Name, Is.EqualTo("Distil.Evaluation"));
        Assert.That((typeof(TaskEvaluator).Namespace, typeof(EvaluateOptions).Namespace, typeof(ColumnContext).Namespace),
            Is.EqualTo(("Distil", "Distil.Pipelines", "Distil.Pipelines")));
        Assert.That(typeof(EvaluateStepHandleExtensions).Assembly, Is.SameAs(typeof(TaskEvaluator).Assembly));
    }
}

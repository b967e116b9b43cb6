using System.Reflection;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Templates;

/// <summary>
/// Every task in the repository's catalogue, tests, samples and benchmarks renders exactly what Scriban
/// renders for the same template and values, on many varied inputs.
/// </summary>
public class CompiledTemplateMatchesScribanTests
{
    public static IEnumerable<TestCaseData> AllTasks() =>
        new[]
            {
                typeof(CompiledTemplateMatchesScribanTests).Assembly,
                typeof(Distil.Quickstart.ReviewSummary).Assembly,
                typeof(Distil.Samples.TaskTests.SentimentTask).Assembly,
                typeof(Distil.Benchmarks.ThreeResponseScorer).Assembly,
                typeof(Distil.Tasks.QualityScorer).Assembly,
            }
            .SelectMany(a => a.GetTypes())
            .Where(t => !t.IsAbstract && FindTaskBase(t) is not null && t.GetConstructor(Type.EmptyTypes) is not null)
            // Tasks that build their own chat (FormatMessages) have no template to compare.
            .Where(t => t.GetMethod("FormatMessages", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance) is null)
            .Select(t => new TestCaseData(t).SetName($"Compiled rendering of {t.Name} equals Scriban"));

    [TestCaseSource(nameof(AllTasks))]
    public void Compiled_rendering_equals_Scriban(Type taskType)
    {
        var task = Activator.CreateInstance(taskType)!;
        var inputType = FindTaskBase(taskType)!.GetGenericArguments()[0];
        var formatInput = taskType.GetMethod("FormatInput", [inputType])!;
        var formatWithScriban = taskType.GetMethod("FormatInputWithScriban", [inputType])!;

        for (var seed = 0; seed < 200; seed++)
        {
            var input = new SampleInputs(seed).Create(inputType, nullable: false, depth: 0);
            var compiled = Texts(formatInput.Invoke(task, [input]));
            var scriban = Texts(formatWithScriban.Invoke(task, [input]));
            Assert.That(compiled, Is.EqualTo(scriban), $"{taskType.Name}, input {seed}: {input}");
        }
    }

    [Test]
    public void The_repository_has_tasks_to_check()
    {
        Assert.That(AllTasks().Count(), Is.GreaterThanOrEqualTo(8));
    }

    private static string[] Texts(object? messages) =>
        ((IReadOnlyList<ChatMessage>)messages!).Select(m => $"{m.Role}: {m.Text}").ToArray();

    private static Type? FindTaskBase(Type type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.IsGenericType && current.GetGenericTypeDefinition() == typeof(Task<,>)) return current;
        }
        return null;
    }
}

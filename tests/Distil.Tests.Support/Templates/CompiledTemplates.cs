using System.Reflection;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Templates;

/// <summary>
/// Checks that a task's compiled prompt rendering equals what Scriban renders for the same template
/// and values, on many varied inputs: shared by the test projects that declare tasks of their own.
/// </summary>
public static class CompiledTemplates
{
    /// <summary>One test case per task type in <paramref name="assemblies"/> that has a template to compare.</summary>
    public static IEnumerable<TestCaseData> Cases(params Assembly[] assemblies) =>
        assemblies
            .SelectMany(a => a.GetTypes())
            .Where(t => !t.IsAbstract && FindTaskBase(t) is not null && t.GetConstructor(Type.EmptyTypes) is not null)
            // Tasks that build their own chat (FormatMessages) have no template to compare.
            .Where(t => t.GetMethod("FormatMessages", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance) is null)
            .Select(t => new TestCaseData(t).SetName(RendersWithScribanAtRunTime(t)
                ? $"{t.Name}'s prompt is beyond the compiled subset and rendered by Scriban at run time: nothing compiled to compare"
                : $"Compiled rendering of {t.Name} equals Scriban"));

    /// <summary>Asserts that <paramref name="taskType"/> renders the same prompt compiled as with Scriban.</summary>
    public static void AssertMatchesScriban(Type taskType)
    {
        if (RendersWithScribanAtRunTime(taskType))
        {
            // Comparing Scriban with itself would pass whatever happened: say so instead.
            Assert.Ignore($"{taskType.Name} uses a template construct the generator does not compile; its prompt is rendered by Scriban at run time.");
        }
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

    // True when a generated render method calls ScribanTemplate.Render: the template fell back to
    // run-time Scriban. Read from the method's IL (call and callvirt tokens), not from its name.
    private static bool RendersWithScribanAtRunTime(Type taskType)
    {
        foreach (var name in new[] { "__RenderSystemPrompt", "__RenderUserPrompt" })
        {
            var method = taskType.GetMethod(name, BindingFlags.NonPublic | BindingFlags.Instance);
            var il = method?.GetMethodBody()?.GetILAsByteArray();
            if (il is null) continue;
            for (var i = 0; i + 4 < il.Length; i++)
            {
                if (il[i] is not (0x28 or 0x6F)) continue; // call, callvirt
                try
                {
                    if (method!.Module.ResolveMethod(BitConverter.ToInt32(il, i + 1)) is { Name: "Render" } called
                        && called.DeclaringType == typeof(Distil.Templates.ScribanTemplate))
                    {
                        return true;
                    }
                }
                catch (Exception error) when (error is ArgumentException or BadImageFormatException)
                {
                    // a byte that only looked like a call
                }
            }
        }
        return false;
    }

    private static string[] Texts(object? messages) =>
        ((IReadOnlyList<ChatMessage>)messages!).Select(m => $"{m.Role}: {m.Text}").ToArray();

    private static Type? FindTaskBase(Type type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.IsGenericType && current.GetGenericTypeDefinition() == typeof(LlmTask<,>)) return current;
        }
        return null;
    }
}

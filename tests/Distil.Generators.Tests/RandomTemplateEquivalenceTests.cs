using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Distil.Generators.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.Extensions.AI;

namespace Distil.Generators.Tests;

/// <summary>
/// Generated templates, compiled by the generator, loaded and run: on every template and input,
/// the compiled rendering equals Scriban's own rendering of the same template.
/// </summary>
public class RandomTemplateEquivalenceTests
{
    private const int TemplateCount = 120;
    private const int InputsPerTemplate = 25;

    [Fact]
    public void Compiled_rendering_equals_Scriban_on_generated_templates()
    {
        var templates = Enumerable.Range(0, TemplateCount).Select(i => new TemplateGrammar(seed: i).Template()).ToList();
        var source = new StringBuilder("""
            using Distil;
            namespace Generated;
            public sealed record Input(string Title, int Count, double Ratio, bool Flag, IReadOnlyList<string> Items, string? Note, IReadOnlyList<int> Numbers);
            public sealed record Output(string Answer);

            """);
        for (var i = 0; i < templates.Count; i++)
        {
            source.AppendLine($"[Task(\"t{i}\")] [UserPrompt({Literal(templates[i])})] public sealed partial class T{i} : LlmTask<Input, Output> {{ }}");
        }

        var run = GeneratorHarness.Run(source.ToString());
        Assert.Empty(run.CompilationErrors);
        Assert.Empty(run.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        var fallbacks = run.GeneratedSources.Values.Count(s => s.Contains("Beyond the compiled subset", StringComparison.Ordinal));
        Assert.True(fallbacks < TemplateCount / 5, $"{fallbacks} of {TemplateCount} templates fell back to runtime Scriban.");

        var assembly = Load(run.OutputCompilation);
        var inputType = assembly.GetType("Generated.Input")!;
        for (var i = 0; i < templates.Count; i++)
        {
            var task = Activator.CreateInstance(assembly.GetType($"Generated.T{i}")!)!;
            var compiled = task.GetType().GetMethod("FormatInput")!;
            var scriban = task.GetType().GetMethod("FormatInputWithScriban")!;
            for (var seed = 0; seed < InputsPerTemplate; seed++)
            {
                var input = RandomInput(inputType, new Random(seed * 7919 + i));
                var expected = Text(scriban.Invoke(task, [input]));
                var actual = Text(compiled.Invoke(task, [input]));
                Assert.True(expected == actual,
                    $"Template {i} differs on input {input}:\n--- template\n{templates[i]}\n--- Scriban\n{expected}\n--- compiled\n{actual}");
            }
        }
    }

    private static string Text(object? messages) => ((IReadOnlyList<ChatMessage>)messages!).Single().Text;

    private static object RandomInput(Type type, Random random)
    {
        string[] words = ["", " x ", "Dune", "two\nlines", "  indented\n  text  ", "ünï ✓"];
        var items = Enumerable.Range(0, random.Next(0, 4)).Select(_ => words[random.Next(words.Length)]).ToList();
        var numbers = Enumerable.Range(0, random.Next(0, 4)).Select(_ => random.Next(-3, 30)).ToList();
        return Activator.CreateInstance(type,
            words[random.Next(words.Length)], random.Next(-2, 6), Math.Round(random.NextDouble() * 10 - 5, random.Next(0, 3)),
            random.Next(2) == 0, items, random.Next(3) == 0 ? null : words[random.Next(words.Length)], numbers)!;
    }

    private static Assembly Load(Compilation compilation)
    {
        using var image = new MemoryStream();
        var emit = compilation.Emit(image);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        image.Position = 0;
        return new AssemblyLoadContext("generated-templates", isCollectible: true).LoadFromStream(image);
    }

    private static string Literal(string text) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(text, quote: true);

    /// <summary>Random templates within (and a little beyond) the compiled subset.</summary>
    private sealed class TemplateGrammar(int seed)
    {
        private static readonly string[] Raw = ["Hello ", "\n", "  ", "a b", "\t", "line\n  indented ", ": ", "\r\n", "- ", "\n\n"];
        private static readonly string[] Values =
        [
            "title", "count", "ratio", "flag", "note", "title | string.upcase", "note | string.strip", "title | string.downcase | string.strip",
            "items | array.join \", \"", "items | array.size", "numbers | array.join \"-\"", "count + 1", "count * 2 - ratio",
            "count > 2", "title == \"Dune\"", "string.size title", "items.size",
        ];
        private static readonly string[] LoopValues = ["for.index", "for.first", "for.last", "for.rindex", "for.length", "for.even"];
        private static readonly string[] Conditions =
        [
            "flag", "note", "note == null", "count >= 3 && !flag", "title != \"\"", "ratio < 0 || flag", "!(count == 1)", "items.size > 1",
        ];

        private readonly Random _random = new(seed);

        public string Template()
        {
            var text = new StringBuilder();
            Sequence(text, depth: 0, loopVariable: null);
            return text.ToString();
        }

        private void Sequence(StringBuilder text, int depth, string? loopVariable)
        {
            var parts = _random.Next(1, 6);
            for (var i = 0; i < parts; i++)
            {
                switch (_random.Next(depth < 2 ? 6 : 4))
                {
                    case 0 or 1: text.Append(Raw[_random.Next(Raw.Length)]); break;
                    case 2: Tag(text, Value(loopVariable)); break;
                    case 3: text.Append(Raw[_random.Next(Raw.Length)]); Tag(text, Value(loopVariable)); break;
                    case 4:
                        Tag(text, "if " + Conditions[_random.Next(Conditions.Length)]);
                        Sequence(text, depth + 1, loopVariable);
                        if (_random.Next(2) == 0) { Tag(text, "else"); Sequence(text, depth + 1, loopVariable); }
                        Tag(text, "end");
                        break;
                    default:
                        var variable = _random.Next(2) == 0 ? "item" : "n";
                        Tag(text, $"for {variable} in {(variable == "item" ? "items" : "numbers")}");
                        Sequence(text, depth + 1, variable);
                        if (_random.Next(4) == 0) { Tag(text, "else"); Sequence(text, depth + 1, loopVariable); }
                        Tag(text, "end");
                        break;
                }
            }
        }

        private string Value(string? loopVariable) => loopVariable is not null && _random.Next(2) == 0
            ? (_random.Next(2) == 0 ? loopVariable : LoopValues[_random.Next(LoopValues.Length)])
            : Values[_random.Next(Values.Length)];

        private void Tag(StringBuilder text, string body)
        {
            if (_random.Next(3) == 0) text.Append('\n').Append(' ', _random.Next(0, 4));
            var open = _random.Next(6) switch { 0 => "{{~ ", 1 => "{{- ", _ => "{{ " };
            var close = _random.Next(6) switch { 0 => " ~}}", 1 => " -}}", _ => " }}" };
            text.Append(open).Append(body).Append(close);
        }
    }
}

using System.Text.Json.Nodes;
using Distil.Mapping;
using Distil.Tasks;
using NUnit.Framework;
using Spectre.Console;

namespace Distil.Tests.Catalogue;

/// <summary>What every catalogue task must do, whichever it is: print, name its columns, refuse bad rows clearly.</summary>
public class CatalogueTaskTests
{
    public static IEnumerable<TestCaseData> AllTasks() =>
        typeof(QualityScorer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(LlmTask).IsAssignableFrom(t))
            .OrderBy(t => t.Name)
            .Select(t => new TestCaseData(t).SetName($"Catalogue task {t.Name}"));

    [TestCaseSource(nameof(AllTasks))]
    public void Prints_its_prompt_with_placeholders(Type taskType)
    {
        var task = (LlmTask)Activator.CreateInstance(taskType)!;
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });

        task.Print(null, console);

        Assert.That(output.ToString(), Does.Contain("PLACEHOLDER").And.Contain(taskType.Name));
    }

    [TestCaseSource(nameof(AllTasks))]
    public void Has_a_name_columns_a_schema_and_a_grammar(Type taskType)
    {
        var task = (LlmTask)Activator.CreateInstance(taskType)!;

        Assert.That(task.Name, Does.Match("^[a-z_]+$"));
        Assert.That(task.Inputs, Is.Not.Empty);
        Assert.That(task.Outputs, Is.Not.Empty);
        Assert.That(task.StructuredOutputSchema, Does.StartWith("{\"type\":\"object\""));
        Assert.That(task.StructuredOutputGrammar, Does.StartWith("root ::= "));
    }

    [Test]
    public void Text_generation_templates_read_numbers_of_rows_built_in_code()
    {
        // JsonObject values built from C# numbers hold an int or a double, not parsed JSON text.
        var task = new TextGeneration { Template = "Row {{ id }} costs {{ price }}: {{ instruction }}" };

        var prompt = task.FormatRow(new JsonObject { ["id"] = 7, ["price"] = 2.5, ["instruction"] = "Say hi" });

        Assert.That(prompt[^1].Text, Is.EqualTo("Row 7 costs 2.5: Say hi"));
    }

    [Test]
    public async Task A_row_of_the_wrong_shape_names_the_task_and_the_column()
    {
        var task = new QualityScorer { Llm = new Distil.Testing.ScriptedChatClient().Otherwise(_ => "[1] Score: 1") };
        var row = new JsonObject { ["instruction"] = "Name a colour.", ["responses"] = "Red." };

        var error = Assert.ThrowsAsync<RowValueException>(async () => await task.ProcessAsync([row]).ToListAsync())!;

        Assert.That(error.Message, Does.Contain("quality_scorer").And.Contain("responses"));
    }

    [Test]
    public void An_input_parameter_with_a_default_value_is_an_optional_column()
    {
        var task = new PrometheusEval();

        Assert.That(task.ReadInput(new JsonObject { ["instruction"] = "q", ["generation"] = "a" }).Reference, Is.Null);
        Assert.That(task.ReadInput(new JsonObject { ["instruction"] = "q", ["generation"] = "a", ["reference"] = "r" }).Reference, Is.EqualTo("r"));
        Assert.That(() => task.ReadInput(new JsonObject { ["instruction"] = "q", ["reference"] = "r" }),
            Throws.TypeOf<RowValueException>().With.Message.Contains("column 'generation' is missing"), "columns without a default stay required");
    }
}

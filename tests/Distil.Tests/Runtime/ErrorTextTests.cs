using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Runtime;

/// <summary><see cref="ErrorText"/>: messages a user reads, without C# parameter names and with one full stop.</summary>
public class ErrorTextTests
{
    [Test]
    public void An_argument_exceptions_parameter_name_is_left_out()
    {
        var error = new ArgumentException("Unknown aspect 'x'; use one of: honesty.", "Aspect");

        Assert.That(error.Message, Does.Contain("(Parameter 'Aspect')"), "what the runtime appends");
        Assert.That(ErrorText.Of(error), Is.EqualTo("Unknown aspect 'x'; use one of: honesty."));
    }

    [Test]
    public void An_out_of_range_value_keeps_its_actual_value_but_loses_the_parameter_name()
    {
        var error = new ArgumentOutOfRangeException("value", 0, "MaxConcurrency must be 1 or more.");

        Assert.That(ErrorText.Of(error), Is.EqualTo("MaxConcurrency must be 1 or more." + Environment.NewLine + "Actual value was 0."));
    }

    [Test]
    public void Other_exceptions_keep_their_message() =>
        Assert.That(ErrorText.Of(new InvalidOperationException("No (Parameter 'x') here.")), Is.EqualTo("No (Parameter 'x') here."));

    [TestCase("It has: a, b", "It has: a, b.")]
    [TestCase("It has: a, b.", "It has: a, b.")]
    [TestCase("Did you mean 'aspect'?", "Did you mean 'aspect'?")]
    [TestCase("Stop!", "Stop!")]
    [TestCase("Trailing space. ", "Trailing space.")]
    [TestCase("", "")]
    public void A_sentence_ends_once(string text, string sentence) => Assert.That(ErrorText.Sentence(text), Is.EqualTo(sentence));

    // JSON problems in every file a user hands the tool are said with lines and columns counted
    // from 1, as an editor shows them; System.Text.Json counts both from 0.
    [Test]
    public async Task A_broken_row_of_a_JSON_Lines_file_is_named_by_its_line_and_column_from_1()
    {
        using var folder = new TempFolder("distil-broken-");
        var path = folder.File("rows.jsonl");
        await File.WriteAllLinesAsync(path, ["{\"a\": 1}", "", "{\"a\": }"]);
        var source = Distil.Pipelines.RowSources.File(path);
        var error = Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var _ in source.ReadAsync(CancellationToken.None)) { }
        })!;

        Assert.That(error.Message, Does.StartWith($"{path}: not valid JSON at line 3, column 7: "));
        Assert.That(error.Message, Does.Not.Contain("LineNumber"));
    }

    [Test]
    public void A_broken_price_file_is_named_by_its_line_and_column_from_1()
    {
        using var folder = new TempFolder("distil-prices-");
        var path = folder.File("prices.json");
        File.WriteAllText(path, "{\n  \"gpt-4o-mini\": {\"input\": 0.15,, \"output\": 0.6}\n}");
        var error = Assert.Throws<FormatException>(() => Distil.Pipelines.PriceTable.Load(path))!;

        Assert.That(error.Message, Does.StartWith($"{path}: not valid JSON at line 2, column 33: "));
    }

    [Test]
    public void Broken_runtime_parameters_are_named_by_their_line_and_column_from_1()
    {
        var error = Assert.Throws<FormatException>(() => Distil.Pipelines.RuntimeParameters.FromJson("{\"judge\": {\"temperature\": 0.2\n\"x\": 1}}", "params.json"))!;

        Assert.That(error.Message, Does.StartWith("params.json: not valid JSON at line 2, column 1: "));
    }

    [Test]
    public void A_trailing_comma_is_named_without_the_readers_advice_to_its_programmer()
    {
        var error = Assert.Throws<FormatException>(() => Distil.Pipelines.RuntimeParameters.FromJson("{\"judge\": {\"temperature\": 0.2,}}", "params.json"))!;

        Assert.That(error.Message, Does.Contain("trailing comma").And.Not.Contain("reader options"));
    }
}

using System.Text.Json.Nodes;
using Distil.LlamaSharp;
using Distil.Tests.Support;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace Distil.Tests.Catalogue;

/// <summary>
/// One unit for the length of text: the grammar a local model decodes under (llama.cpp's own
/// matcher) and the check of every parsed answer both count the Unicode code points of the decoded
/// text, however many UTF-8 bytes, UTF-16 units or JSON escape characters wrote each one.
/// </summary>
public class LengthUnitTests
{
    private static readonly string Grammar = new BoundedTextTask().StructuredOutputGrammar;

    private LlamaGrammar _llama = null!;

    [OneTimeSetUp]
    public void LoadVocabulary() => _llama = LlamaGrammar.Load();

    [OneTimeTearDown]
    public void Unload() => _llama.Dispose();

    // One character as an answer's JSON may write it: every width of UTF-8, and every escape.
    private static IEnumerable<TestCaseData> Characters()
    {
        yield return new TestCaseData("a").SetArgDisplayNames("ascii");
        yield return new TestCaseData("é").SetArgDisplayNames("two_utf8_bytes");
        yield return new TestCaseData("中").SetArgDisplayNames("three_utf8_bytes");
        yield return new TestCaseData("😀").SetArgDisplayNames("four_utf8_bytes_two_utf16_units");
        yield return new TestCaseData("\\n").SetArgDisplayNames("escaped_newline");
        yield return new TestCaseData("\\\"").SetArgDisplayNames("escaped_quote");
        yield return new TestCaseData("\\\\").SetArgDisplayNames("escaped_backslash");
        yield return new TestCaseData("\\u00e9").SetArgDisplayNames("unicode_escape");
        yield return new TestCaseData("\\uD83D\\uDE00").SetArgDisplayNames("escaped_surrogate_pair");
        yield return new TestCaseData("a😀\\u00e9中\\n").SetArgDisplayNames("mixed_five");
    }

    private static string Answer(string longText, string shortText = "ok", string code = "ab") =>
        $$"""{"long":"{{longText}}","short":"{{shortText}}","code":"{{code}}"}""";

    // What JSON Schema's maxLength counts: Unicode code points.
    private static int CodePoints(string text) => text.EnumerateRunes().Count();

    // Repeats the JSON of `character` until the decoded text has `count` code points.
    private static string Repeat(string character, int count)
    {
        var each = CodePoints((string)JsonNode.Parse("\"" + character + "\"")!);
        var text = string.Concat(Enumerable.Repeat(character, count / each));
        var rest = count % each;
        return rest == 0 ? text : text + string.Concat(Enumerable.Repeat("a", rest));
    }

    [TestCaseSource(nameof(Characters))]
    public void Text_of_exactly_the_bound_is_accepted_by_the_grammar_and_by_the_check(string character)
    {
        var answer = Answer(Repeat(character, 200));

        Assert.That(_llama.Accepts(Grammar, answer), Is.True, "llama.cpp decoding under the grammar may write it");
        Assert.That(new BoundedTextTask().BrokenRule(answer), Is.Null, "the check after parsing keeps it");
    }

    [TestCaseSource(nameof(Characters))]
    public void Text_one_over_the_bound_is_refused_by_the_grammar_and_by_the_check(string character)
    {
        var answer = Answer(Repeat(character, 201));

        Assert.That(_llama.Accepts(Grammar, answer), Is.False, "llama.cpp decoding under the grammar cannot write it");
        Assert.That(new BoundedTextTask().BrokenRule(answer), Is.EqualTo("'long' has 201 characters, more than 200"));
    }

    [TestCase("a", false, "'code' has 1 character, not 2 to 3")]
    [TestCase("😀", false, "'code' has 1 character, not 2 to 3")]
    [TestCase("😀😀", true, null)]
    [TestCase("\\uD83D\\uDE00\\u00e9\\n", true, null)]
    [TestCase("😀😀😀😀", false, "'code' has 4 characters, not 2 to 3")]
    public void A_minimum_length_is_held_by_the_grammar_and_the_check_alike(string code, bool accepted, string? reason)
    {
        var answer = Answer("x", code: code);

        Assert.That(_llama.Accepts(Grammar, answer), Is.EqualTo(accepted));
        Assert.That(new BoundedTextTask().BrokenRule(answer), Is.EqualTo(reason));
    }

    [TestCase("\\uD83D", TestName = "A_lone_high_surrogate_escape_is_refused_by_the_grammar")]
    [TestCase("\\uDE00x", TestName = "A_lone_low_surrogate_escape_is_refused_by_the_grammar")]
    [TestCase("\\u00g1", TestName = "A_unicode_escape_of_non_hex_digits_is_refused_by_the_grammar")]
    [TestCase("\\x41", TestName = "An_unknown_escape_is_refused_by_the_grammar")]
    public void Escapes_that_would_not_parse_are_refused(string text) =>
        Assert.That(_llama.Accepts(Grammar, Answer(text)), Is.False);

    [Test]
    public async Task Every_answer_the_tiny_model_decodes_under_the_grammar_keeps_the_length_rules()
    {
        using var llm = LocalChatClient.Load(TestModel.Path, contextSize: 1024);
        var task = new BoundedTextTask
        {
            Llm = llm,
            UseDefaultStructuredOutput = true,
            NumGenerations = 6,
            GenerationOptions = new ChatOptions { MaxOutputTokens = 600, Temperature = 1.0f, Seed = 17 },
        };

        var rows = await task.ProcessAsync([new JsonObject { ["topic"] = "rivers" }]).ToListAsync();

        var texts = new List<string>();
        foreach (var row in rows)
        {
            var raw = (string?)row["distilabel_metadata"]!["raw_output_bounded_text"];
            Assert.That((string?)row["distilabel_metadata"]!["output_error_bounded_text"], Is.Null, $"answer: {raw}");
            Assert.That(row["long"], Is.Not.Null, $"unparsed answer: {raw}");
            texts.Add((string)row["long"]!);
            texts.Add((string)row["short"]!);
        }
        var atBound = rows.Count(r => CodePoints((string)r["long"]!) == 200 || CodePoints((string)r["short"]!) == 6);
        TestContext.Out.WriteLine(string.Join("\n", texts.Select(t => $"{CodePoints(t)} code points, {t.Length} UTF-16 units: {t}")));
        Assert.That(atBound, Is.GreaterThan(0), "some answers reach a bound");
        Assert.That(texts.Any(t => t.Any(c => c > 127)), "the tiny model writes text beyond ASCII");
    }
}

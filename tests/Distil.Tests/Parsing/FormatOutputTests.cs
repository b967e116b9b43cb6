using Distil.Tests.Tasks;
using NUnit.Framework;

namespace Distil.Tests.Parsing;

public class FormatOutputTests
{
    private static readonly SummaryTask.Input AnyInput = new("t", 3, []);

    [TestCase("{\"summary\":\"x\",\"word_count\":3}", TestName = "Plain JSON")]
    [TestCase("```json\n{\"summary\":\"x\",\"word_count\":3}\n```", TestName = "Markdown fence")]
    [TestCase("```\n{\"summary\":\"x\",\"word_count\":3}\n```", TestName = "Fence without language")]
    [TestCase("Sure! Here it is: {\"summary\":\"x\",\"word_count\":3} Hope that helps.", TestName = "Text around the JSON")]
    [TestCase("{\"summary\":\"x\",\"word_count\":3,}", TestName = "Trailing comma")]
    [TestCase("{\"summary\":\"x\",\"word_count\":\"3\"}", TestName = "Number given as a string")]
    [TestCase("{\"summary\":\"x\",\"word_count\":3.0}", TestName = "Whole number with a fraction part")]
    [TestCase("  {\"word_count\":3, \"summary\":\"x\", \"extra\": [1,2]}  ", TestName = "Other order and extra properties")]
    [TestCase("Comparing [Response 1] with [Response 2]: {\"summary\":\"x\",\"word_count\":3}", TestName = "Brackets in the prose before the JSON")]
    public void Lenient_parsing_reads_the_answer(string answer)
    {
        var output = new SummaryTask().FormatOutput(answer, AnyInput);

        Assert.That(output, Is.EqualTo(new SummaryTask.Output("x", 3)));
    }

    [TestCase(null, TestName = "Null answer")]
    [TestCase("", TestName = "Empty answer")]
    [TestCase("I cannot summarise this.", TestName = "No JSON at all")]
    [TestCase("{\"summary\":\"x\"", TestName = "Truncated JSON")]
    [TestCase("{\"summary\":\"x\",\"word_count\":\"many\"}", TestName = "Word that is no number")]
    [TestCase("{\"summary\":\"x\",\"word_count\":3.5}", TestName = "Fraction for an integer")]
    [TestCase("{\"word_count\":3}", TestName = "Missing required property")]
    [TestCase("[1,2,3]", TestName = "Array instead of object")]
    public void Unparseable_answer_gives_null_and_never_throws(string? answer)
    {
        Assert.That(new SummaryTask().FormatOutput(answer, AnyInput), Is.Null);
    }

    [Test]
    public void Nested_records_enums_and_columns_are_read()
    {
        const string answer = """
            {"verdict":"revise","findings":[{"issue":"naming","line-number":"4"},{"issue":"style","line-number":null}],
             "worst":{"issue":"naming","line-number":4},"confidence":"0.75","notes":null}
            """;

        var output = new ReviewTask().FormatOutput(answer, new ReviewTask.Input("x", null, false, false));

        Assert.That(output, Is.Not.Null);
        Assert.That(output!.Verdict, Is.EqualTo(Verdict.Revise));
        Assert.That(output.Findings, Is.EqualTo(new[] { new Finding("naming", 4), new Finding("style", null) }));
        Assert.That(output.Worst, Is.EqualTo(new Finding("naming", 4)));
        Assert.That(output.Confidence, Is.EqualTo(0.75));
        Assert.That(output.Notes, Is.Null);
    }

    [Test]
    public void Unknown_enum_member_gives_null()
    {
        const string answer = """{"verdict":"maybe","findings":[],"worst":null,"confidence":1,"notes":"n"}""";

        Assert.That(new ReviewTask().FormatOutput(answer, new ReviewTask.Input("x", null, false, false)), Is.Null);
    }

    [Test]
    public void Hand_written_ParseOutput_is_used_instead_of_JSON()
    {
        var task = new RatingTask();

        Assert.That(task.FormatOutput("Well... Rating: 4", new RatingTask.Input("t")), Is.EqualTo(new RatingTask.Output(4)));
        Assert.That(task.FormatOutput("{\"rating\":4}", new RatingTask.Input("t")), Is.Null, "JSON is not used when ParseOutput exists");
    }

    [Test]
    public void Exception_from_hand_written_ParseOutput_gives_null()
    {
        Assert.That(new RatingTask().FormatOutput("no rating here", new RatingTask.Input("t")), Is.Null);
    }
}

public class OutputValueTests
{
    [Test]
    public void Float_outputs_are_written_as_they_read()
    {
        var task = new GuidedReview();
        var row = new System.Text.Json.Nodes.JsonObject();

        task.WriteOutput(task.FormatOutput("{\"score\":0.1,\"severity\":3,\"groups\":[[1,2],[]]}", new GuidedReview.Input("c", null, 0f)), row);

        Assert.That(row.ToJsonString(), Is.EqualTo("{\"score\":0.1,\"severity\":3,\"groups\":[[1,2],[]]}"));
    }

    [Test]
    public void A_number_out_of_range_for_its_type_gives_null_outputs()
    {
        Assert.That(new GuidedReview().FormatOutput("{\"score\":1,\"severity\":70000,\"groups\":[]}", new GuidedReview.Input("c", null, 0f)), Is.Null);
        Assert.That(new GuidedReview().FormatOutput("{\"score\":\"NaN\",\"severity\":1,\"groups\":[]}", new GuidedReview.Input("c", null, 0f)), Is.Null);
        Assert.That(new GuidedReview().FormatOutput("{\"score\":1e300,\"severity\":1,\"groups\":[]}", new GuidedReview.Input("c", null, 0f)), Is.Null);
    }

    [Test]
    public void A_row_value_out_of_range_names_the_column()
    {
        var row = Distil.Tests.Support.Rows.Parse("""{"code":"c","worst":{"issue":"i","line-number":99999999999},"ratio":1}""");

        var error = Assert.Throws<RowValueException>(() => new GuidedReview().ReadInput(row));

        Assert.That(error!.Message, Does.Contain("column 'worst'").And.Contain("line-number"));
    }

    [TestCase("{\"summary\":\"x\",\"word_count\":\"three\"}", 3, TestName = "Word for a number is mended")]
    [TestCase("{\"summary\":\"x\",\"word_count\":\"3/5\"}", 3, TestName = "Fraction of a scale is mended to its numerator")]
    public void A_number_written_as_a_word_or_a_fraction_is_read_as_meant(string answer, int expected)
    {
        Assert.That(new SummaryTask().FormatOutput(answer, new SummaryTask.Input("t", 3, []))!.WordCount, Is.EqualTo(expected));
    }
}

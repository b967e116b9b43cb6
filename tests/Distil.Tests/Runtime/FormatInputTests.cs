using Distil.Tests.Tasks;
using Microsoft.Extensions.AI;
using NUnit.Framework;
using Spectre.Console;

namespace Distil.Tests.Runtime;

public class FormatInputTests
{
    [Test]
    public void Renders_system_then_user_message_with_columns_and_loop()
    {
        var task = new SummaryTask();

        var messages = task.FormatInput(new SummaryTask.Input("Dune", 30, ["spice", "worms"]));

        Assert.That(messages.Select(m => m.Role), Is.EqualTo(new[] { ChatRole.System, ChatRole.User }));
        Assert.That(messages[0].Text, Is.EqualTo("You write short, faithful summaries."));
        Assert.That(messages[1].Text, Is.EqualTo("Summarise Dune in 30 words:\n- spice\n- worms\n"));
    }

    [Test]
    public void Template_parameters_are_read_from_the_task()
    {
        var task = new QualityScorer { Aspect = "HONESTY" };

        var user = task.FormatInput(new QualityScorer.Input("Say hi", ["hi", " hello "]))[1].Text;

        Assert.That(user, Does.EndWith("Score each of the 2 responses from 1 to 10 for honesty.\n"));
        Assert.That(user, Does.Contain("## Response 2\nhello\n"));
    }

    [Test]
    public void Null_conditional_member_access_renders_nothing_for_a_null_record()
    {
        var task = new GuidedReview();

        var withWorst = task.FormatInput(new GuidedReview.Input("x()", new Finding("naming", 4), 0.5f))[0].Text;
        var withoutWorst = task.FormatInput(new GuidedReview.Input("x()", null, 0.5f))[0].Text;

        Assert.That(withWorst, Does.StartWith("Be strict. Worst so far: naming (line 4)\n1. Name things well\n2. Keep functions short\nx() at 0.5 with 2 rules"));
        Assert.That(withoutWorst, Does.StartWith("Be strict. Worst so far:  (line )\n"));
    }

    [Test]
    public void Print_draws_one_panel_per_message_with_placeholders()
    {
        var console = PlainConsole();

        new SummaryTask().Print(console: console);

        var text = console.Profile.Out.Writer.ToString()!;
        Assert.That(text, Does.Contain("Prompt: SummaryTask"));
        Assert.That(text, Does.Contain("System Message"));
        Assert.That(text, Does.Contain("User Message"));
        Assert.That(text, Does.Contain("Summarise <PLACEHOLDER_TITLE> in 0 words:"));
        Assert.That(text, Does.Contain("- <PLACEHOLDER_KEY_POINTS>"));
    }

    [Test]
    public void Print_of_a_given_sample_shows_its_values()
    {
        var console = PlainConsole();

        new RatingTask().Print(new RatingTask.Input("[not markup]"), console);

        Assert.That(console.Profile.Out.Writer.ToString(), Does.Contain("[not markup]"));
    }

    // A console without colours that writes to a string, 100 columns wide.
    private static IAnsiConsole PlainConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(new StringWriter()),
        });
        console.Profile.Width = 100;
        return console;
    }
}

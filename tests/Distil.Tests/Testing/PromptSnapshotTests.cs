using Distil.Testing;
using Distil.Tests.Tasks;
using NUnit.Framework;

namespace Distil.Tests.Testing;

/// <summary>Prompt snapshots of the repository's tasks, through the kit users get.</summary>
public class PromptSnapshotTests
{
    [Test]
    public void Summary_prompt_with_schema_and_grammar() =>
        PromptSnapshot.Verify(new SummaryTask(), new SummaryTask.Input("Dune", 20, ["spice", "sand"]), includeSchema: true, includeGrammar: true);

    [Test]
    public void Summary_prompt_of_the_placeholder_input() => PromptSnapshot.Verify(new SummaryTask());

    [Test]
    public void Quality_scorer_prompt() =>
        PromptSnapshot.Verify(new QualityScorer(), new QualityScorer.Input("Name a colour.", ["Red.", "Blue, or maybe teal."]));

    [Test]
    public void The_rendering_has_a_header_and_one_section_per_message()
    {
        var text = PromptSnapshot.Render(new SummaryTask(), new SummaryTask.Input("Dune", 20, ["spice"]));

        Assert.That(text, Is.EqualTo("""
            task: summary (SummaryTask)
            inputs: title, max_words, key_points
            outputs: summary, word_count

            === system ===
            You write short, faithful summaries.

            === user ===
            Summarise Dune in 20 words:
            - spice

            """.Replace("\r\n", "\n")));
    }
}

using Distil.Tasks;
using NUnit.Framework;

namespace Distil.Tests.Catalogue;

/// <summary>
/// Each catalogue task's parser on its answer format, the sloppy variants models write, answers
/// that cannot be read, and the structured (JSON) mode.
/// </summary>
public class CatalogueParsingTests
{
    private static readonly QualityScorer.Input ThreeResponses = new("Name a colour.", ["Red.", "Blue.", "Green."]);

    [Test]
    public void Quality_scorer_reads_one_score_per_response()
    {
        var output = new QualityScorer().FormatOutput("[1] Score: 4\n[2] Score: 2\n[3] Score: 6", ThreeResponses);

        Assert.That(output!.Scores, Is.EqualTo(new double?[] { 4, 2, 6 }));
    }

    [Test]
    public void Quality_scorer_reads_sloppy_lines_and_ignores_noise()
    {
        var answer = "Here are my scores:\n\n**[1] Score:** 4.0 (good)\n [2]  score : 5 (Excellent)\n- [3] SCORE: 1\n\nHope this helps!";

        var output = new QualityScorer().FormatOutput(answer, ThreeResponses);

        Assert.That(output!.Scores, Is.EqualTo(new double?[] { 4, 5, 1 }));
    }

    [Test]
    public void Quality_scorer_keeps_one_entry_per_response_when_lines_are_missing_or_unreadable()
    {
        var scorer = new QualityScorer();

        Assert.That(scorer.FormatOutput("[1] Score: 3\n[2] Score: great\n[7] Score: 5", ThreeResponses)!.Scores,
            Is.EqualTo(new double?[] { 3, null, null }), "unreadable and out-of-range lines give null");
        Assert.That(scorer.FormatOutput("I refuse to score these.", ThreeResponses)!.Scores,
            Is.EqualTo(new double?[] { null, null, null }), "a wholly unreadable answer stays aligned");
        Assert.That(scorer.FormatOutput("[1] Score: 2\n[1] Score: 5", ThreeResponses)!.Scores[0], Is.EqualTo(2), "the first line of an index wins");
    }

    [Test]
    public void Quality_scorer_structured_mode_reads_JSON()
    {
        var scorer = new QualityScorer { UseDefaultStructuredOutput = true };

        Assert.That(scorer.FormatOutput("{\"scores\": [4, 2.5, null]}", ThreeResponses)!.Scores, Is.EqualTo(new double?[] { 4, 2.5, null }));
        Assert.That(scorer.FormatOutput("[1] Score: 4", ThreeResponses), Is.Null, "structured mode expects JSON");
    }

    [Test]
    public void Complexity_scorer_reads_one_score_per_instruction()
    {
        var input = new ComplexityScorer.Input(["a", "b"]);
        var scorer = new ComplexityScorer();

        Assert.That(scorer.FormatOutput("[1] Score: 1\n[2] Score: 5", input)!.Scores, Is.EqualTo(new double?[] { 1, 5 }));
        Assert.That(scorer.FormatOutput("[2] Score: 5", input)!.Scores, Is.EqualTo(new double?[] { null, 5 }));
        Assert.That(new ComplexityScorer { UseDefaultStructuredOutput = true }.FormatOutput("```json\n{\"scores\":[2,3]}\n```", input)!.Scores,
            Is.EqualTo(new double?[] { 2, 3 }));
    }

    [TestCase("The answer is direct and complete.\n\nScore: 4", 4, "The answer is direct and complete.")]
    [TestCase("Good but generic.\n**Score:** 3.0", 3, "Good but generic.")]
    [TestCase("It mentions a score: 2 out of 5 in passing.\nscore: 5", 5, "It mentions a score: 2 out of 5 in passing.")]
    [TestCase("Score: 5", 5, null)]
    public void Instruction_backtranslation_reads_the_last_score_and_the_reasoning_before_it(string answer, int score, string? reason)
    {
        var output = new InstructionBacktranslation().FormatOutput(answer, new InstructionBacktranslation.Input("q", "a"));

        Assert.That(output, Is.EqualTo(new InstructionBacktranslation.Output(score, reason)));
    }

    [TestCase("No score here at all.")]
    [TestCase("Reasoning.\nScore: 4.5")]
    [TestCase("")]
    public void Instruction_backtranslation_without_a_readable_score_is_null(string answer) =>
        Assert.That(new InstructionBacktranslation().FormatOutput(answer, new InstructionBacktranslation.Input("q", "a")), Is.Null);

    [Test]
    public void Instruction_backtranslation_structured_mode_reads_JSON() =>
        Assert.That(new InstructionBacktranslation { UseDefaultStructuredOutput = true }
                .FormatOutput("{\"score\": 2, \"reason\": \"off topic\"}", new InstructionBacktranslation.Input("q", "a")),
            Is.EqualTo(new InstructionBacktranslation.Output(2, "off topic")));

    [Test]
    public void Self_instruct_reads_one_instruction_per_line_and_drops_blanks_and_markers()
    {
        var output = new SelfInstruct().FormatOutput("What is rain?\n\n2. How do clouds form?\n- Why is the sea salty?\n   \n", new SelfInstruct.Input("x"));

        Assert.That(output!.Instructions, Is.EqualTo(new[] { "What is rain?", "How do clouds form?", "Why is the sea salty?" }));
    }

    [TestCase("Explain how tides work.", "Explain how tides work.")]
    [TestCase("  Instruction: \"Explain how tides work.\"\n", "Explain how tides work.")]
    [TestCase("**New instruction:** “List three volcanoes.”", "List three volcanoes.")]
    [TestCase("   \n ", null)]
    public void Instruction_generator_reads_the_instruction_without_label_or_quotes(string answer, string? expected) =>
        Assert.That(new InstructionGenerator().FormatOutput(answer, new InstructionGenerator.Input())?.Instruction, Is.EqualTo(expected));

    [Test]
    public void Self_instruct_structured_mode_reads_JSON() =>
        Assert.That(new SelfInstruct { UseDefaultStructuredOutput = true }
                .FormatOutput("{\"instructions\": [\"a\", \"b\"]}", new SelfInstruct.Input("x"))!.Instructions,
            Is.EqualTo(new[] { "a", "b" }));

    [Test]
    public void Self_instruct_rejects_a_number_of_instructions_below_one() =>
        Assert.That(() => new SelfInstruct { NumInstructions = 0 },
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("NumInstructions"));

    [Test]
    public void Genstruct_splits_the_turns_at_the_assistant_marker()
    {
        var output = new Genstruct().FormatOutput("How do plants make sugar?\n[[[Assistant]]] With light, water and CO2.\n", new Genstruct.Input("t", "c"));

        Assert.That(output, Is.EqualTo(new Genstruct.Output("How do plants make sugar?", "With light, water and CO2.")));
    }

    [TestCase("A question without an answer.")]
    [TestCase("")]
    public void Genstruct_without_the_marker_is_null(string answer) =>
        Assert.That(new Genstruct().FormatOutput(answer, new Genstruct.Input("t", "c")), Is.Null);

    [Test]
    public void Genstruct_structured_mode_reads_JSON() =>
        Assert.That(new Genstruct { UseDefaultStructuredOutput = true }.FormatOutput("{\"user\":\"q\",\"assistant\":\"a\"}", new Genstruct.Input("t", "c")),
            Is.EqualTo(new Genstruct.Output("q", "a")));

    [TestCase("## Positive\nEggs need ten minutes.\n## Negative\nEggs come from hens.", "Eggs need ten minutes.", "Eggs come from hens.")]
    [TestCase("### positive:\n  Boil eggs for ten minutes.  \n", "Boil eggs for ten minutes.", null)]
    [TestCase("Sure!\n## Positive\nLine one\nline two\n\n## NEGATIVE\nOther", "Line one\nline two", "Other")]
    public void Generate_sentence_pair_reads_the_sections(string answer, string positive, string? negative) =>
        Assert.That(new GenerateSentencePair { Triplet = true }.FormatOutput(answer, new GenerateSentencePair.Input("a")),
            Is.EqualTo(new GenerateSentencePair.Output(positive, negative)));

    [TestCase("Eggs need ten minutes.")]
    [TestCase("## Negative\nOnly a negative.")]
    public void Generate_sentence_pair_without_a_positive_is_null(string answer) =>
        Assert.That(new GenerateSentencePair().FormatOutput(answer, new GenerateSentencePair.Input("a")), Is.Null);

    [Test]
    public void Generate_sentence_pair_rejects_an_unknown_action() =>
        Assert.That(() => new GenerateSentencePair { Action = "summarise" },
            Throws.ArgumentException.With.Message.Contains("paraphrase, semantically-similar, query, answer"));

    [Test]
    public void Generate_sentence_pair_structured_mode_reads_JSON() =>
        Assert.That(new GenerateSentencePair { UseDefaultStructuredOutput = true }
                .FormatOutput("{\"positive\":\"p\",\"negative\":null}", new GenerateSentencePair.Input("a")),
            Is.EqualTo(new GenerateSentencePair.Output("p", null)));

    [Test]
    public void Clair_reads_the_reasoning_and_the_revision()
    {
        var answer = "{teacher_reasoning}\nThe student multiplied instead of taking a share.\n{corrected_student_solution}\n15% of 80 is 0.15 × 80 = 12.\n";

        var output = new Clair().FormatOutput(answer, new Clair.Input("t", "s"));

        Assert.That(output, Is.EqualTo(new Clair.Output("15% of 80 is 0.15 × 80 = 12.", "The student multiplied instead of taking a share.")));
    }

    [Test]
    public void Clair_without_the_solution_marker_is_null_and_without_reasoning_keeps_the_revision()
    {
        Assert.That(new Clair().FormatOutput("{teacher_reasoning} only thoughts", new Clair.Input("t", "s")), Is.Null);
        Assert.That(new Clair().FormatOutput("{Corrected_Student_Solution} 12", new Clair.Input("t", "s")), Is.EqualTo(new Clair.Output("12", null)));
    }

    [Test]
    public void Clair_structured_mode_reads_JSON_with_the_rational_column() =>
        Assert.That(new Clair { UseDefaultStructuredOutput = true }.FormatOutput("{\"revision\":\"r\",\"rational\":\"why\"}", new Clair.Input("t", "s")),
            Is.EqualTo(new Clair.Output("r", "why")));

    private static readonly UltraFeedback.Input TwoTexts = new("Capital of Australia?", ["Canberra.", "Sydney."]);

    [Test]
    public void Ultrafeedback_reads_a_rating_and_rationale_per_text()
    {
        var answer = "Rating: 5\nRationale: Correct and direct.\n\nRating: 1 (Poor)\nRationale: Wrong city;\nit is the largest, not the capital.";

        var output = new UltraFeedback { Aspect = "honesty" }.FormatOutput(answer, TwoTexts)!;

        Assert.That(output.Ratings, Is.EqualTo(new int?[] { 5, 1 }));
        Assert.That(output.Rationales, Is.EqualTo(new[] { "Correct and direct.", "Wrong city;\nit is the largest, not the capital." }));
        Assert.That(output.Types, Is.Null);
        Assert.That(output.RationalesForRatings, Is.Null);
    }

    [Test]
    public void Ultrafeedback_four_field_aspects_read_types_and_both_rationales()
    {
        var answer = "#### Output for Text 1\nType: 1\nRationale: Relevant.\nRating: 4\nRationale: Accurate.\n\n**Type:** None\n**Rationale:** No hallucination type applies.\n**Rating:** 3.0\n**Rationale:** Partly wrong.";

        var output = new UltraFeedback { Aspect = "truthfulness" }.FormatOutput(answer, TwoTexts)!;

        Assert.That(output.Types, Is.EqualTo(new int?[] { 1, null }));
        Assert.That(output.Rationales, Is.EqualTo(new[] { "Relevant.", "No hallucination type applies." }));
        Assert.That(output.Ratings, Is.EqualTo(new int?[] { 4, 3 }));
        Assert.That(output.RationalesForRatings, Is.EqualTo(new[] { "Accurate.", "Partly wrong." }));
    }

    [Test]
    public void Ultrafeedback_keeps_every_list_aligned_with_the_generations()
    {
        var scorer = new UltraFeedback { Aspect = "helpfulness" };

        var partial = scorer.FormatOutput("Type: 2\nRationale: Useful.\nRating: N/A\nRationale: Cannot judge.", TwoTexts)!;
        Assert.That(partial.Ratings, Is.EqualTo(new int?[] { null, null }), "N/A and a missing block are null");
        Assert.That(partial.Types, Is.EqualTo(new int?[] { 2, null }));

        var garbage = scorer.FormatOutput("I cannot rate these.", TwoTexts)!;
        Assert.That(garbage.Ratings, Is.EqualTo(new int?[] { null, null }));
        Assert.That(garbage.Rationales, Is.EqualTo(new string?[] { null, null }));
        Assert.That(garbage.RationalesForRatings, Is.EqualTo(new string?[] { null, null }));
    }

    [Test]
    public void Ultrafeedback_structured_mode_reads_JSON() =>
        Assert.That(new UltraFeedback { UseDefaultStructuredOutput = true }
                .FormatOutput("{\"ratings\":[7,3],\"rationales\":[\"a\",\"b\"],\"types\":null,\"rationales-for-ratings\":null}", TwoTexts)!.Ratings,
            Is.EqualTo(new int?[] { 7, 3 }));

    [Test]
    public void Ultrafeedback_rejects_an_unknown_aspect() =>
        Assert.That(() => new UltraFeedback { Aspect = "style" },
            Throws.ArgumentException.With.Message.Contains("helpfulness, honesty, instruction-following, truthfulness, overall-rating"));

    private static readonly PrometheusEval.Input OneResponse = new("q", "a");

    [TestCase("Feedback: Clear and correct. [RESULT] 5", "Clear and correct.", 5)]
    [TestCase("The response is vague.\n\n[RESULT] 2", "The response is vague.", 2)]
    [TestCase("**Feedback:** Mostly right; it says [RESULT] later.\n[RESULT]: 4.0", "Mostly right; it says [RESULT] later.", 4)]
    [TestCase("[RESULT] 3", null, 3)]
    public void Prometheus_absolute_reads_feedback_and_score(string answer, string? feedback, int result) =>
        Assert.That(new PrometheusEval().FormatOutput(answer, OneResponse), Is.EqualTo(new PrometheusEval.Output(feedback, result)));

    [TestCase("Feedback: fine. [RESULT] 6")]
    [TestCase("Feedback: fine. [RESULT] 0")]
    [TestCase("Feedback: fine. [RESULT] A")]
    [TestCase("Feedback: fine. Score: 4")]
    [TestCase("Feedback: fine. [RESULT] 3.5")]
    public void Prometheus_absolute_out_of_format_is_null_for_both(string answer) =>
        Assert.That(new PrometheusEval().FormatOutput(answer, OneResponse), Is.Null);

    private static readonly PrometheusEvalRelative.Input TwoResponses = new("q", ["a", "b"]);

    [TestCase("Feedback: B shows its work. [RESULT] B", "B shows its work.", "B")]
    [TestCase("Both try; A is right.\n[RESULT] a", "Both try; A is right.", "A")]
    [TestCase("[RESULT] **A**", null, "A")]
    public void Prometheus_relative_reads_feedback_and_choice(string answer, string? feedback, string result) =>
        Assert.That(new PrometheusEvalRelative().FormatOutput(answer, TwoResponses), Is.EqualTo(new PrometheusEvalRelative.Output(feedback, result)));

    [TestCase("Feedback: tie. [RESULT] C")]
    [TestCase("Feedback: tie. [RESULT] 3")]
    [TestCase("No verdict.")]
    public void Prometheus_relative_out_of_format_is_null_for_both(string answer) =>
        Assert.That(new PrometheusEvalRelative().FormatOutput(answer, TwoResponses), Is.Null);

    [Test]
    public void Prometheus_structured_modes_read_JSON()
    {
        Assert.That(new PrometheusEval { UseDefaultStructuredOutput = true }.FormatOutput("{\"feedback\":\"f\",\"result\":4}", OneResponse),
            Is.EqualTo(new PrometheusEval.Output("f", 4)));
        Assert.That(new PrometheusEvalRelative { UseDefaultStructuredOutput = true }.FormatOutput("{\"feedback\":\"f\",\"result\":\"B\"}", TwoResponses),
            Is.EqualTo(new PrometheusEvalRelative.Output("f", "B")));
    }

    [Test]
    public void Prometheus_relative_needs_exactly_two_generations()
    {
        var error = RowError(new PrometheusEvalRelative(), "{\"instruction\":\"q\",\"generations\":[\"a\",\"b\",\"c\"]}");

        Assert.That(error.Message, Does.Contain("prometheus_eval").And.Contain("'generations' must hold exactly two").And.Contain("it holds 3"));
    }

    [Test]
    public void Prometheus_rubrics_are_checked()
    {
        Assert.That(() => new PrometheusEval { Rubric = "style" }.RubricText,
            Throws.ArgumentException.With.Message.Contains("Unknown rubric 'style'").And.Message.Contains("helpfulness, harmlessness, honesty, factual-validity, reasoning"));
        Assert.That(() => new PrometheusEval { Rubric = "x", Rubrics = new Dictionary<string, string> { ["x"] = "[Q?]\nScore 1: a\nScore 2: b\nScore 3: c\nScore 5: e" } }.RubricText,
            Throws.ArgumentException.With.Message.Contains("'Score 4:' is missing"));
        Assert.That(() => new PrometheusEval { Rubric = "x", Rubrics = new Dictionary<string, string> { ["x"] = "Score 1: a" } }.RubricText,
            Throws.ArgumentException.With.Message.Contains("question in brackets"));
    }

    [Test]
    public void Text_classification_answers_in_JSON_from_the_start()
    {
        var task = new TextClassification();

        Assert.That(task.UseDefaultStructuredOutput, Is.True);
        Assert.That(task.FormatOutput("{\"labels\": [\"delivery\", \"quality\"]}", new TextClassification.Input("t"))!.Labels, Is.EqualTo(new[] { "delivery", "quality" }));
        Assert.That(task.FormatOutput("```json\n{\"labels\":[\"price\"]}\n```", new TextClassification.Input("t"))!.Labels, Is.EqualTo(new[] { "price" }));
        Assert.That(task.FormatOutput("It is about delivery.", new TextClassification.Input("t")), Is.Null);
    }

    [TestCase("To sort a list, call list.Sort().\n\n# User:\nThanks!", "To sort a list, call list.Sort().")]
    [TestCase("  Use OrderBy.  ", "Use OrderBy.")]
    public void Urial_cuts_the_answer_at_the_next_user_turn(string answer, string expected) =>
        Assert.That(new Urial().FormatOutput(answer, new Urial.Input("q")), Is.EqualTo(new Urial.Output(expected)));

    [Test]
    public void Urial_with_an_empty_answer_is_null() =>
        Assert.That(new Urial().FormatOutput("\n# User: next", new Urial.Input("q")), Is.Null);

    [TestCase("{\"instruction\":\"q\",\"conversation\":[{\"role\":\"user\",\"content\":\"c\"}]}", "not both or neither")]
    [TestCase("{\"other\":1}", "not both or neither")]
    [TestCase("{\"conversation\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}", "must have role 'user'; it has 'assistant'")]
    [TestCase("{\"conversation\":[]}", "empty list")]
    public void Urial_refuses_rows_of_the_wrong_shape(string row, string expected)
    {
        var error = RowError(new Urial(), row);

        Assert.That(error.Message, Does.Contain("urial").And.Contain(expected));
    }

    [Test]
    public void Text_and_chat_generation_keep_the_answer_text()
    {
        Assert.That(new TextGeneration().FormatOutput("  Rain on the roof.\n", new TextGeneration.Input("q")), Is.EqualTo(new TextGeneration.Output("Rain on the roof.")));
        Assert.That(new TextGeneration().FormatOutput("   ", new TextGeneration.Input("q")), Is.Null);
        var chat = new ChatGeneration.Input([new ChatGeneration.Message("user", "q")]);
        Assert.That(new ChatGeneration().FormatOutput("4.", chat), Is.EqualTo(new ChatGeneration.Output("4.")));
        Assert.That(new ChatGeneration { UseDefaultStructuredOutput = true }.FormatOutput("{\"generation\":\"4.\"}", chat), Is.EqualTo(new ChatGeneration.Output("4.")));
    }

    [Test]
    public void Text_generation_templates_are_checked_when_set()
    {
        Assert.That(() => new TextGeneration { Template = "Answer briefly." },
            Throws.ArgumentException.With.Message.Contains("must use at least one column"));
        Assert.That(() => new TextGeneration { Template = "{{ if instruction }}no end" },
            Throws.ArgumentException.With.Message.Contains("does not parse"));
    }

    [Test]
    public async Task Text_generation_reads_the_columns_its_template_names()
    {
        var llm = new Distil.Testing.ScriptedChatClient().Otherwise(_ => "Short.");
        var task = new TextGeneration
        {
            Llm = llm,
            Template = "Summarise {{ title }} ({{ year }}) for {{ audience | string.upcase }}:{{ for tag in tags }} #{{ tag }}{{ end }}",
        };
        var row = System.Text.Json.Nodes.JsonNode.Parse("""{"title": "Dune", "year": 1965, "audience": "teens", "tags": ["sand", "spice"], "unused": 1}""")!.AsObject();

        var output = (await task.ProcessAsync([row]).ToListAsync()).Single();

        Assert.That(task.Inputs, Is.EqualTo(new[] { "title", "year", "audience", "tags", "system_prompt" }));
        Assert.That(llm.Requests.Single().UserText, Is.EqualTo("Summarise Dune (1965) for TEENS: #sand #spice"));
        Assert.That((string?)output["generation"], Is.EqualTo("Short."));
        Assert.That(new TextGeneration().Inputs, Is.EqualTo(new[] { "instruction", "system_prompt" }), "the default template reads instruction");
    }

    [Test]
    public void Text_generation_refuses_a_row_without_a_column_its_template_names()
    {
        var error = RowError(new TextGeneration { Template = "{{ title }}: {{ body }}" }, """{"title": "Dune"}""");

        Assert.That(error.Message, Does.Contain("text_generation").And.Contain("column 'body' is missing; the template uses it"));
    }

    [TestCase("{\"messages\":[]}", "empty list")]
    [TestCase("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}", "must have role 'user'; it has 'assistant'")]
    [TestCase("{\"messages\":[{\"role\":\"robot\",\"content\":\"a\"}]}", "'messages'[0].role is 'robot'")]
    public void Chat_generation_refuses_conversations_of_the_wrong_shape(string row, string expected)
    {
        var error = RowError(new ChatGeneration(), row);

        Assert.That(error.Message, Does.Contain("chat_generation").And.Contain(expected));
    }

    [Test]
    public async Task Chat_generation_sends_the_conversation_as_it_is()
    {
        var llm = new Distil.Testing.ScriptedChatClient().Otherwise(_ => "4.");
        var row = System.Text.Json.Nodes.JsonNode.Parse("{\"messages\":[{\"role\":\"system\",\"content\":\"Be terse.\"},{\"role\":\"user\",\"content\":\"2+2?\"}]}")!.AsObject();

        var output = (await new ChatGeneration { Llm = llm }.ProcessAsync([row]).ToListAsync()).Single();

        Assert.That((string?)output["generation"], Is.EqualTo("4."));
        Assert.That(llm.Requests.Single().Messages.Select(m => $"{m.Role}: {m.Text}"), Is.EqualTo(new[] { "system: Be terse.", "user: 2+2?" }));
    }

    [TestCase("Explain recursion with an example in Haskell.", "Explain recursion with an example in Haskell.")]
    [TestCase("Rewritten Instruction: Explain recursion.", "Explain recursion.")]
    [TestCase("#New Prompt#:\nExplain recursion.", "Explain recursion.")]
    [TestCase("**Improved answer:** Red is warm.", "Red is warm.")]
    [TestCase("  instruction :  Explain recursion.  ", "Explain recursion.")]
    [TestCase("Note: keep it short. Explain recursion.", "Note: keep it short. Explain recursion.")]
    public void Evolution_answers_lose_a_leading_label_only(string answer, string expected)
    {
        Assert.That(new EvolInstruct().FormatOutput(answer, new InstructionEvolution.Input("x"))!.EvolvedInstruction, Is.EqualTo(expected));
        Assert.That(new EvolQuality().FormatOutput(answer, new EvolQuality.Input("x", "y"))!.EvolvedResponse, Is.EqualTo(expected));
    }

    [TestCase("")]
    [TestCase("   \n ")]
    [TestCase("Rewritten instruction:")]
    public void Evolution_answers_with_nothing_left_are_unparsed(string answer) =>
        Assert.That(new EvolComplexity().FormatOutput(answer, new InstructionEvolution.Input("x")), Is.Null);

    [Test]
    public void Magpie_reads_an_answer_as_the_user_turn()
    {
        var output = new Magpie().FormatOutput("  How do magnets work? ", new Magpie.Input());

        Assert.That((output!.Instruction, output.Response, output.Conversation!.Single().Role), Is.EqualTo(("How do magnets work?", (string?)null, "user")));
    }

    // Runs the task over one row (JSON) with a model that would answer anything, and returns the
    // error that stopped the run.
    private static RowValueException RowError(LlmTask task, string row)
    {
        task.Llm = new Distil.Testing.ScriptedChatClient().Otherwise(_ => "x");
        return Assert.ThrowsAsync<RowValueException>(async () =>
            await task.ProcessAsync([System.Text.Json.Nodes.JsonNode.Parse(row)!.AsObject()]).ToListAsync())!;
    }
}

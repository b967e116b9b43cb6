using System.Collections.Immutable;
using Distil.Generators.Tests.Support;
using Microsoft.CodeAnalysis;

namespace Distil.Generators.Tests;

/// <summary>
/// The pipeline analyzer over fluent chains: each step kind, branches and joins, renames both
/// ways, maps with declared writes, mappings, built-in tasks read from metadata, and the cases it
/// cannot know, where it must stay silent.
/// </summary>
public class PipelineAnalyzerTests
{
    // Two tasks and two row records, declared as users do; each test adds a method that builds a pipeline.
    private const string Declarations = """
        using System.Text.Json.Nodes;
        using Distil;
        using Distil.Pipelines;

        public sealed record Question(string Instruction, string? Topic = null);

        [Step("normalize")]
        public sealed partial class Normalize : Step<Normalize.Input, Normalize.Output>
        {
            public sealed record Input(string Instruction);
            public sealed record Output(string CleanText, int Length);
            public override Output Process(Input input) => new(input.Instruction.Trim(), input.Instruction.Length);
        }

        [Step("best")]
        public sealed partial class Best : GlobalStep<Best.Row, Best.Row>
        {
            public sealed record Row(string Generation);
            public override IEnumerable<Row> Process(IReadOnlyList<Row> inputs) => inputs.Take(1);
        }

        [Step("seeds")]
        public sealed partial class Seeds : GeneratorStep<Seeds.Row>
        {
            public sealed record Row(int Instruction);
            public override IEnumerable<Row> Generate() => [new Row(1)];
        }

        [Task("answer")]
        [UserPrompt("{{ instruction }}")]
        public sealed partial class Answer : LlmTask<Answer.Input, Answer.Output>
        {
            public sealed record Input(string Instruction);
            public sealed record Output(string Generation);
        }

        [Task("judge")]
        [UserPrompt("{{ instruction }}{{ for r in responses }} {{ r }}{{ end }}")]
        public sealed partial class Judge : LlmTask<Judge.Input, Judge.Output>
        {
            public sealed record Input(string Instruction, IReadOnlyList<string> Responses);
            public sealed record Output(IReadOnlyList<int?> Scores);
        }

        """;

    private static ImmutableArray<Diagnostic> Analyze(string body, string records = "") => AnalyzerHarness.Run(Declarations + records + $$"""
        public static class Recipe
        {
            public static void Build(Pipeline pipeline, IRowSource source)
            {
        {{body}}
            }

            private static Judge MadeElsewhere() => new Judge();
        }
        """);

    private static string Marked(Diagnostic diagnostic) => diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan);

    [Fact]
    public void The_example_of_docs_pipelines_md_gives_the_error_it_shows()
    {
        var diagnostics = AnalyzerHarness.Run("""
            using Distil;
            using Distil.Pipelines;
            using Distil.Tasks;

            public sealed record Question(string Instruction, string? Topic = null);   // columns: instruction, topic

            public static class Recipe
            {
                public static void Build(Pipeline pipeline) =>
                    pipeline.Load<Question>(RowSources.File("questions.jsonl"))
                        .Then(new TextGeneration())
                        .Then(new UltraFeedback());            // reads 'generations': no step writes it
            }
            """);

        var diagnostic = Assert.Single(diagnostics);
        var start = diagnostic.Location.GetLineSpan().StartLinePosition;
        Assert.Equal((12, 19), (start.Line + 1, start.Character + 1));
        Assert.Equal("Task 'ultrafeedback' reads column 'generations', which no earlier step writes; the rows there have instruction, topic, generation, model_name, distilabel_metadata. Did you mean 'generation'?",
            diagnostic.GetMessage());
    }

    [Fact]
    public void A_valid_chain_through_tasks_keep_rename_and_write_is_silent()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source)
                    .Then(new Answer { NumGenerations = 2, GroupGenerations = true })
                    .RenameColumns(new Dictionary<string, string> { ["generation"] = "responses" })
                    .Then(new Judge())
                    .KeepColumns("instruction", "responses", "scores")
                    .Write("out.jsonl");
        """);

        Assert.Empty(diagnostics);
    }

    [Fact]
    public void A_conditional_task_step_is_followed_like_any_task_step()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source)
                    .Then(new Answer(), RowCondition.Equal("topic", "rain"))
                    .KeepColumns("instruction", "genration");
        """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DISTIL016", diagnostic.Id);
        Assert.EndsWith("Did you mean 'generation'?", diagnostic.GetMessage());
    }

    [Fact]
    public void KeepColumns_of_a_misspelt_column_points_at_the_literal_and_suggests_the_column()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Then(new Answer()).KeepColumns("instruction", "genration");
        """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DISTIL016", diagnostic.Id);
        Assert.Equal("\"genration\"", Marked(diagnostic));
        Assert.Equal("KeepColumns reads column 'genration', which no earlier step writes; the rows there have instruction, topic, generation, model_name, distilabel_metadata. Did you mean 'generation'?",
            diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("text", "clean_text")] // a column a step renamed by adding a word
    [InlineData("clean", "clean_text")]
    [InlineData("clean_txt", "clean_text")] // a misspelling
    public void A_column_the_step_before_writes_under_a_longer_name_is_suggested(string read, string suggested)
    {
        var diagnostics = Analyze($$"""
                pipeline.Load<Question>(source).Then(new Normalize()).KeepColumns("{{read}}");
        """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.EndsWith($"the rows there have instruction, topic, clean_text, length. Did you mean '{suggested}'?", diagnostic.GetMessage());
    }

    [Fact]
    public void A_column_dropped_by_KeepColumns_is_missing_for_a_later_task()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Then(new Answer()).KeepColumns("generation").Then(new Answer());
        """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("new Answer()", Marked(diagnostic));
        Assert.StartsWith("Task 'answer' reads column 'instruction', which no earlier step writes; the rows there have generation", diagnostic.GetMessage());
    }

    [Fact]
    public void A_rename_in_the_wrong_direction_is_an_error_on_its_key()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Then(new Answer())
                    .RenameColumns(new Dictionary<string, string> { ["responses"] = "generation" });
        """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("\"responses\"", Marked(diagnostic));
        Assert.Contains("RenameColumns reads column 'responses'", diagnostic.GetMessage());
    }

    [Fact]
    public void A_rename_in_the_right_direction_feeds_the_next_task_and_a_string_read_as_a_list_is_a_warning()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Then(new Answer())
                    .RenameColumns(new Dictionary<string, string> { { "generation", "responses" } })
                    .Then(new Judge());
        """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DISTIL017", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal("Task 'judge' reads column 'responses' as list<string>, but Task 'answer' writes it as string", diagnostic.GetMessage());
    }

    [Fact]
    public void Map_with_declared_writes_provides_them_and_its_reads_are_checked()
    {
        var good = Analyze("""
                pipeline.Load<Question>(source).Then(new Answer())
                    .Map(row => { row["responses"] = new JsonArray((string?)row["generation"]); return row; }, reads: ["generation"], writes: ["responses"])
                    .Then(new Judge());
        """);
        var bad = Analyze("""
                pipeline.Load<Question>(source).Map(row => row, reads: ["answer"], writes: ["responses"]).Then(new Judge());
        """);

        Assert.Empty(good);
        var diagnostic = Assert.Single(bad);
        Assert.Equal("\"answer\"", Marked(diagnostic));
        Assert.Contains("Map reads column 'answer'", diagnostic.GetMessage());
    }

    [Fact]
    public void Map_without_declared_writes_provides_nothing_as_at_run_time()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Map(row => row).Then(new Judge());
        """);

        Assert.Contains("Task 'judge' reads column 'responses'", Assert.Single(diagnostics).GetMessage());
    }

    [Fact]
    public void Filter_reads_are_checked_and_rows_go_on_unchanged()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Filter(row => row["topic"] is not null, reads: new[] { "topic", "tpoic" }).Then(new Answer());
        """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("\"tpoic\"", Marked(diagnostic));
        Assert.EndsWith("Did you mean 'topic'?", diagnostic.GetMessage());
    }

    private const string TypedRecords = """
        public sealed record Asked(string Instrction, string? Topic);
        public sealed record Scored(string Instruction, int Topic);
        public sealed record Drafts(IReadOnlyList<string> Responses, int Count);

        """;

    [Fact]
    public void A_typed_Filter_reads_its_record_s_columns_and_suggests_the_closest_at_the_type_argument()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Filter<Asked>(a => a.Topic is not null).Then(new Answer());
        """, TypedRecords);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DISTIL016", diagnostic.Id);
        Assert.Equal("Asked", Marked(diagnostic));
        Assert.Equal("Filter<Asked> reads column 'instrction', which no earlier step writes; the rows there have instruction, topic. Did you mean 'instruction'?", diagnostic.GetMessage());
    }

    [Fact]
    public void A_typed_Map_reading_a_column_as_another_type_is_DISTIL017()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Map<Scored, Drafts>(s => new Drafts([s.Instruction], s.Topic));
        """, TypedRecords);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DISTIL017", diagnostic.Id);
        Assert.Equal("Map<Scored> reads column 'topic' as integer, but Load<Question> writes it as string", diagnostic.GetMessage());
    }

    [Fact]
    public void A_typed_Map_s_output_columns_are_known_after_it_and_the_row_s_others_stay()
    {
        var good = Analyze("""
                pipeline.Load<Question>(source).Map<Question, Drafts>(q => new Drafts([q.Instruction], 1)).Then(new Judge());
        """, TypedRecords);
        var bad = Analyze("""
                pipeline.Load<Question>(source).Map<Question, Drafts>(q => new Drafts([q.Instruction], 1)).KeepColumns("count", "respones");
        """, TypedRecords);

        Assert.Empty(good);
        Assert.EndsWith("Did you mean 'responses'?", Assert.Single(bad).GetMessage());
    }

    [Fact]
    public void ExpandColumns_turns_a_list_into_its_items()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Batch>(source).ExpandColumns("instructions").RenameColumns(new Dictionary<string, string> { ["instructions"] = "instruction" }).Then(new Answer());
                pipeline.Load<Batch>(source).Then(new Answer());
        """, "public sealed record Batch(IReadOnlyList<string> Instructions);\n");

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("Task 'answer' reads column 'instruction', which no earlier step writes; the rows there have instructions. Did you mean 'instructions'?", diagnostic.GetMessage());
    }

    private const string Grader = """
        [Task("grade")]
        [UserPrompt("{{ instruction }} {{ generation }}")]
        public sealed partial class Grade : LlmTask<Grade.Input, Grade.Output>
        {
            public sealed record Input(string Instruction, string Generation);
            public sealed record Output(int? Score);
        }
        public sealed record Answered(string Instruction, IReadOnlyList<string> Generations);

        """;

    [Fact]
    public void ForEach_gives_its_steps_the_item_column_and_gathers_lists_onto_the_source_row()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Answered>(source)
                    .ForEach("generations", "generation", each => each.Then(new Grade()), gather: new Dictionary<string, string> { ["score"] = "ratings" })
                    .KeepColumns("instruction", "generations", "ratings");
                pipeline.Load<Answered>(source)
                    .ForEach("generations", "answer", each => each.Then(new Grade()), gather: new Dictionary<string, string> { ["score"] = "ratings" })
                    .KeepColumns("ratingz");
        """, Grader);

        Assert.Equal(2, diagnostics.Length);
        diagnostics = [.. diagnostics.OrderBy(d => d.Location.SourceSpan.Start)];
        Assert.Equal("Task 'grade' reads column 'generation', which no earlier step writes; the rows there have instruction, answer", diagnostics[0].GetMessage());
        Assert.Equal("KeepColumns reads column 'ratingz', which no earlier step writes; the rows there have instruction, generations, ratings. Did you mean 'ratings'?", diagnostics[1].GetMessage());
    }

    [Fact]
    public void Regroup_gathers_item_columns_the_items_have_and_names_one_they_do_not()
    {
        var diagnostics = Analyze("""
                var questions = pipeline.Load<Question>(source);
                var graded = questions.Then(new Answer()).Then(new Grade());
                graded.Regroup(questions, new Dictionary<string, string> { ["generation"] = "generations", ["score"] = "ratings" }).KeepColumns("instruction", "generations", "ratings");
                graded.Regroup(questions, new Dictionary<string, string> { ["scores"] = "ratings" }, over: "generations");
        """, Grader);

        Assert.Equal(2, diagnostics.Length);
        diagnostics = [.. diagnostics.OrderBy(d => d.Location.SourceSpan.Start)];
        Assert.StartsWith("Regroup reads column 'scores', which no earlier step writes;", diagnostics[0].GetMessage());
        Assert.EndsWith("Did you mean 'score'?", diagnostics[0].GetMessage());
        Assert.StartsWith("Regroup reads column 'generations', which no earlier step writes; the rows there have instruction, topic", diagnostics[1].GetMessage());
    }

    [Fact]
    public void Branches_in_locals_join_with_GroupColumns_and_CombineOutputs()
    {
        var diagnostics = Analyze("""
                var questions = pipeline.Load<Question>(source);
                var first = questions.Then(new Answer { Name = "first" });
                var second = questions.Then(new Answer { Name = "second" });
                pipeline.GroupColumns(["generation"], ["responses"], first, second).Then(new Judge());
                var combined = pipeline.CombineOutputs(first, second);
                combined.Then(new Judge());
        """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DISTIL016", diagnostic.Id);
        Assert.Contains("Task 'judge' reads column 'responses'", diagnostic.GetMessage());
        Assert.Contains("combined.Then(new Judge())", diagnostic.Location.SourceTree!.GetText().Lines[diagnostic.Location.GetLineSpan().StartLinePosition.Line].ToString());
    }

    [Fact]
    public void A_grouped_column_that_one_branch_lacks_is_named()
    {
        var diagnostics = Analyze("""
                var questions = pipeline.Load<Question>(source);
                pipeline.GroupColumns(["generation"], null, questions.Then(new Answer { Name = "a" }), questions).Then(new Answer());
        """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.StartsWith("GroupColumns reads column 'generation', which no earlier step writes; the rows there have instruction, topic", diagnostic.GetMessage());
    }

    [Fact]
    public void Input_mappings_read_the_mapped_column_and_output_mappings_write_theirs()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source)
                    .Then(new Answer(), new ColumnMappings { Outputs = new Dictionary<string, string> { ["generation"] = "answer" } })
                    .Then(new Answer { Name = "again" }, new ColumnMappings { Inputs = new Dictionary<string, string> { ["instruction"] = "answr" } });
        """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("\"answr\"", Marked(diagnostic));
        Assert.EndsWith("Did you mean 'answer'?", diagnostic.GetMessage());
    }

    [Fact]
    public void A_built_in_task_is_read_from_its_compiled_records()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Then(new Distil.Tasks.UltraFeedback { Aspect = "honesty" });
                pipeline.Load<Question>(source).Then(new Distil.Tasks.TextGeneration()).Then(new Distil.Tasks.QualityScorer(),
                    new ColumnMappings { Inputs = new Dictionary<string, string> { ["responses"] = "generation" } });
        """);

        Assert.Equal(2, diagnostics.Length);
        Assert.Equal("Task 'ultrafeedback' reads column 'generations', which no earlier step writes; the rows there have instruction, topic", diagnostics[0].GetMessage());
        Assert.Equal("Task 'quality_scorer' reads column 'generation' as list<string>, but Task 'text_generation' writes it as string", diagnostics[1].GetMessage());
    }

    [Fact]
    public void A_declared_row_type_that_differs_from_the_task_input_is_a_warning()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Flat>(source).Then(new Judge());
        """, "public sealed record Flat(string Instruction, string Responses);\n");

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("Task 'judge' reads column 'responses' as list<string>, but Load<Flat> writes it as string", diagnostic.GetMessage());
    }

    [Fact]
    public void What_cannot_be_known_at_build_time_stays_silent()
    {
        var diagnostics = Analyze("""
                pipeline.Load(source).Then(new Judge());                                    // untyped rows
                pipeline.Load<Question>(source).Then(MadeElsewhere());                      // a task built elsewhere
                var columns = new[] { "nothing" };
                pipeline.Load<Question>(source).KeepColumns(columns).Then(new Judge());     // not constant
                var reused = pipeline.Load<Question>(source);
                reused = reused.Then(new Answer());
                reused.Then(new Judge());                                                   // a local assigned twice
                pipeline.Load<Question>(source).Global(rows => rows).Then(new Judge());     // a step it does not model
                pipeline.Load<Question>(source).Then(new Distil.Tasks.TextGeneration());    // inputs from its template
                pipeline.Load<Question>(source).Then(new Answer { GroupGenerations = DateTime.Now.Second > 1 })
                    .RenameColumns(new Dictionary<string, string> { ["generation"] = "responses" }).Then(new Judge()); // shape unknown
        """);

        Assert.Empty(diagnostics);
    }

    [Fact]
    public void Evaluate_from_the_evaluation_package_leaves_the_columns_after_it_unknown()
    {
        // Its metric columns come from the evaluator, so nothing after it is checked; before it, all is.
        var diagnostics = Analyze("""
                Microsoft.Extensions.AI.Evaluation.IEvaluator evaluator = null!;
                pipeline.Load<Question>(source).Then(new Answer())
                    .Evaluate(evaluator, request: "instruction", response: "generation")
                    .FormatSft(prompt: "instruction", completion: "coherence");
                pipeline.Load<Question>(source).KeepColumns("instructoin").Evaluate(evaluator, "instruction", "generation");
        """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("\"instructoin\"", Marked(diagnostic));
    }

    [Fact]
    public void A_pragma_silences_it()
    {
        var diagnostics = Analyze("""
        #pragma warning disable DISTIL016
                pipeline.Load<Question>(source).Then(new Judge());
        #pragma warning restore DISTIL016
        """);

        Assert.Empty(diagnostics);
    }

    [Fact]
    public void Generating_from_nothing_with_a_task_that_needs_inputs_is_named()
    {
        var diagnostics = Analyze("""
                pipeline.Generate(new Answer(), rows: 10);
        """);

        Assert.Equal("Task 'answer' reads column 'instruction', which no earlier step writes; the rows there have no columns", Assert.Single(diagnostics).GetMessage());
    }

    [Fact]
    public void Embed_adds_its_vector_column_and_FormatDpo_reads_its_three_columns()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Embed("instruction").Deduplicate("instruction_embedding").KeepColumns("instruction_embedding");
                pipeline.Load<Question>(source).Embed("instruction", output: "vector").KeepColumns("instruction_embedding");
                pipeline.Load<Question>(source).FormatDpo(generations: "topic", ratings: "scores");
        """);

        Assert.Collection(diagnostics,
            d => Assert.Equal(("\"instruction_embedding\"", "KeepColumns reads column 'instruction_embedding', which no earlier step writes; the rows there have instruction, topic, vector"), (Marked(d), d.GetMessage())),
            d => Assert.Equal("FormatDpo reads column 'topic' as list<string>, but Load<Question> writes it as string", d.GetMessage()),
            d => Assert.StartsWith("FormatDpo reads column 'scores', which no earlier step writes", d.GetMessage()));
    }

    // A package's step kind, declared as a third party would: the analyzer reads its attributes.
    private const string PackageStep = """
        public static class ShoutStepHandleExtensions
        {
            [AddsColumn("shouted", "string")]
            public static StepHandle Shout(this StepHandle step, [ReadsColumn(Type = "string")] string column = "text", string? name = null) => step;

            public static StepHandle Whisper(this StepHandle step, string column) => step;
        }

        """;

    [Fact]
    public void A_package_step_kind_is_followed_through_its_column_attributes()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Shout(column: "missing");
                pipeline.Load<Question>(source).Shout("instruction").KeepColumns("shouted", "instruction");
                pipeline.Load<Question>(source).Shout("instruction").KeepColumns("shoutd");
                pipeline.Load<Question>(source).Whisper("missing").KeepColumns("anything");
        """, PackageStep);

        Assert.Collection(diagnostics,
            d => Assert.Equal(("DISTIL016", "\"missing\"", "Shout reads column 'missing', which no earlier step writes; the rows there have instruction, topic"),
                (d.Id, Marked(d), d.GetMessage())),
            d => Assert.Equal(("DISTIL016", "\"shoutd\"", "KeepColumns reads column 'shoutd', which no earlier step writes; the rows there have instruction, topic, shouted. Did you mean 'shouted'?"),
                (d.Id, Marked(d), d.GetMessage())));
    }

    [Fact]
    public void A_package_step_kind_reading_a_column_as_another_type_is_DISTIL017()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Then(new Judge()).Shout("scores");
        """, PackageStep);

        var diagnostic = Assert.Single(diagnostics, d => d.Id == "DISTIL017"); // (judge's own missing input is DISTIL016)
        Assert.Equal(("\"scores\"", "Shout reads column 'scores' as string, but Task 'judge' writes it as list<integer>"), (Marked(diagnostic), diagnostic.GetMessage()));
    }

    [Fact]
    public void FormatDpo_ratings_keep_the_type_of_the_ratings_list()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Rated>(source).FormatDpo(ratings: "scores").FormatSft(prompt: "chosen_rating", completion: "chosen");
                pipeline.Load<Rated>(source).FormatDpo(ratings: "weights").FormatSft(prompt: "rejected_rating", completion: "chosen");
        """, records: "public sealed record Rated(string Instruction, IReadOnlyList<string> Generations, IReadOnlyList<int> Scores, IReadOnlyList<double> Weights);\n");

        Assert.Collection(diagnostics,
            d => Assert.Equal("FormatSft reads column 'chosen_rating' as string, but FormatDpo writes it as integer", d.GetMessage()),
            d => Assert.Equal("FormatSft reads column 'rejected_rating' as string, but FormatDpo writes it as number", d.GetMessage()));
    }

    [Fact]
    public void Steps_around_tasks_read_their_named_columns()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Then(new Answer())
                    .Deduplicate("generation")
                    .Validate("generaton", null!)
                    .FormatSft(prompt: "instruction", completion: "generation")
                    .KeepColumns("messages");
        """);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("\"generaton\"", Marked(diagnostic));
    }

    [Fact]
    public void A_mapping_key_the_task_does_not_have_is_an_error_at_the_key_with_the_closest_name()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source)
                    .Then(new Answer(), new ColumnMappings { Outputs = new Dictionary<string, string> { ["generaton"] = "generations" } })
                    .Then(new Judge(), new ColumnMappings { Inputs = new Dictionary<string, string> { ["responses"] = "generations" } });
                pipeline.Load<Question>(source).Then(new Answer { NumGenerations = 2, GroupGenerations = true })
                    .Then(new Judge(), new ColumnMappings { Inputs = new Dictionary<string, string> { { "respones", "generation" } } });
        """);

        // One error per mistake, at its key; the steps after it are left alone (no DISTIL016 on 'generations').
        Assert.Collection(diagnostics,
            d => Assert.Equal(("DISTIL018", "\"generaton\"", "Task 'answer' has no output 'generaton' to map; its outputs are generation. Did you mean 'generation'?"),
                (d.Id, Marked(d), d.GetMessage())),
            d => Assert.Equal(("DISTIL018", "\"respones\"", "Task 'judge' has no input 'respones' to map; its inputs are instruction, responses. Did you mean 'responses'?"),
                (d.Id, Marked(d), d.GetMessage())));
        Assert.All(diagnostics, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
    }

    [Fact]
    public void The_dpo_recipe_mapping_pattern_is_followed_and_its_typos_are_named()
    {
        // samples/pipelines/dpo-recipe.json in C#: answers mapped to 'generations', the judge reading
        // them as its 'responses' and writing 'ratings', FormatDpo reading both.
        const string Recipe = """
                pipeline.Load<Question>(source)
                    .Then(new Distil.Tasks.TextGeneration { NumGenerations = 2, GroupGenerations = true },
                        new ColumnMappings { Outputs = new Dictionary<string, string> { ["GENERATION"] = "generations" } })
                    .Then(new Distil.Tasks.QualityScorer(), new ColumnMappings
                    {
                        Inputs = new Dictionary<string, string> { ["RESPONSES"] = "generations" },
                        Outputs = new Dictionary<string, string> { ["scores"] = "ratings" },
                    })
                    .FormatDpo(prompt: "instruction", generations: "generations", ratings: "ratings")
                    .KeepColumns("prompt", "chosen", "rejected", "chosen_rating", "rejected_rating");
        """;

        Assert.Empty(Analyze(Recipe.Replace("GENERATION", "generation").Replace("RESPONSES", "responses")));
        var answers = Assert.Single(Analyze(Recipe.Replace("GENERATION", "generaton").Replace("RESPONSES", "responses")));
        Assert.Equal(("DISTIL018", "Task 'text_generation' has no output 'generaton' to map; its outputs are generation. Did you mean 'generation'?"), (answers.Id, answers.GetMessage()));
        var judge = Assert.Single(Analyze(Recipe.Replace("GENERATION", "generation").Replace("RESPONSES", "responces")));
        Assert.Equal(("DISTIL018", "\"responces\""), (judge.Id, Marked(judge)));
        Assert.EndsWith("has no input 'responces' to map; its inputs are instruction, responses. Did you mean 'responses'?", judge.GetMessage());
    }

    [Fact]
    public void A_metadata_column_named_by_a_variable_does_not_make_a_right_KeepColumns_an_error()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Then(new Answer { MetadataColumn = Names.Metadata }).KeepColumns("instruction", "generation", "answer_metadata");
                pipeline.Load<Question>(source).Then(new Answer { MetadataColumn = Names.Metadata })
                    .RenameColumns(new Dictionary<string, string> { ["generation"] = "answer" }).KeepColumns("answer", "answer_metadata")
                    .Then(new Judge());                                                     // still known: KeepColumns dropped everything else
        """, "public static class Names { public static readonly string Metadata = \"answer_metadata\"; }\n");

        // The metadata column's name is not known at build time: reads of it are not judged; the
        // columns after a KeepColumns are known again.
        Assert.Equal(["instruction", "responses"], diagnostics.Select(d => d.GetMessage().Split('\'')[3]));
        Assert.All(diagnostics, d => Assert.EndsWith("which no earlier step writes; the rows there have answer, answer_metadata", d.GetMessage()));
    }

    [Fact]
    public void Deduplicate_of_a_column_no_step_writes_or_by_embeddings_of_text_is_reported()
    {
        var diagnostics = Analyze("""
                var vectors = pipeline.Generate(new Distil.Tasks.Magpie { OnlyInstruction = true }, rows: 24).Embed("instruction");
                vectors.Deduplicate("instruction_embeding", new DedupOptions { Method = DedupMethod.Embedding, Threshold = 0.95 });
                vectors.Deduplicate("instruction", new DedupOptions { Method = DedupMethod.Embedding, Threshold = 0.95 });
                vectors.Deduplicate("instruction_embedding", new DedupOptions { Method = DedupMethod.Embedding, Threshold = 0.95 });
                vectors.Deduplicate("instruction", new DedupOptions { Method = DedupMethod.MinHash });
        """);

        Assert.Collection(diagnostics,
            d => Assert.Equal(("DISTIL016", "\"instruction_embeding\""), (d.Id, Marked(d))),
            d => Assert.Equal(("DISTIL017", "Deduplicate reads column 'instruction' as list<number>, but Task 'magpie' writes it as string"), (d.Id, d.GetMessage())));
    }

    [Fact]
    public void Typed_steps_are_followed_like_built_ins()
    {
        var diagnostics = Analyze("""
                pipeline.Load<Question>(source).Then(new Normalize()).Then(new Answer()).Then(new Best()).KeepColumns("generation");
                pipeline.Load<Question>(source).Then(new Normalize()).KeepColumns("clean_txt");
                pipeline.Load<Question>(source).Then(new Best());
                pipeline.Load<Question>(source).Then(new Answer()).Then(new Best()).KeepColumns("instruction");
                pipeline.Start(new Seeds()).Then(new Normalize());
        """);

        Assert.Collection(diagnostics,
            d => Assert.Equal(("DISTIL016", "\"clean_txt\"", true), (d.Id, Marked(d), d.GetMessage().EndsWith("Did you mean 'clean_text'?", StringComparison.Ordinal))),
            d => Assert.Equal(("DISTIL016", "new Best()"), (d.Id, Marked(d))),
            d => Assert.Equal(("DISTIL016", "\"instruction\""), (d.Id, Marked(d))),
            d => Assert.Equal(("DISTIL017", "new Normalize()", "Step 'normalize' reads column 'instruction' as string, but Step 'seeds' writes it as integer"),
                (d.Id, Marked(d), d.GetMessage())));
    }
}

using Distil.Generators.Tests.Support;
using Distil.Testing;

namespace Distil.Generators.Tests;

/// <summary>The generated code of each scenario, compared with its reviewed snapshot.</summary>
public class GeneratedCodeSnapshotTests
{
    private static void VerifyGenerated(string source, params Microsoft.CodeAnalysis.AdditionalText[] files)
    {
        var run = GeneratorHarness.Run(source, files);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        // The snapshot is named after the scenario test, not this helper.
        Snapshot.Verify(run.AllSources, name: CallerTest(), directory: "Snapshots");
    }

    private static string CallerTest() => new System.Diagnostics.StackTrace().GetFrames()
        .Select(f => f.GetMethod()!)
        .First(m => m.DeclaringType == typeof(GeneratedCodeSnapshotTests) && m.Name != nameof(VerifyGenerated) && m.Name != nameof(CallerTest))
        .Name;

    [Fact]
    public void Tool_methods_with_their_names_descriptions_schemas_and_argument_readers() => VerifyGenerated("""
        using System.Threading;
        using Distil;
        namespace Travel;

        public enum Unit { Celsius, Fahrenheit }

        [Task("planner")]
        [UserPrompt("Plan a trip to {{ city }}.")]
        public sealed partial class Planner : LlmTask<Planner.Input, Planner.Output>
        {
            public sealed record Input(string City);
            public sealed record Output(string Plan);

            /// <summary>Today's weather in a <c>city</c>.</summary>
            /// <param name="city">The city's name.</param>
            /// <param name="unit">The temperature unit.</param>
            [Tool]
            public string Weather(string city, Unit unit = Unit.Celsius) => $"sunny in {city}";

            [Tool(Name = "sum", Description = "Adds numbers.")]
            public static double Add(IReadOnlyList<double> numbers, int? round) => numbers.Sum();

            /// <summary>Books a room.</summary>
            [Tool]
            public async Task<bool> BookHotelAsync(string city, DateTimeOffset from, int[] rooms, Guid? guest, CancellationToken cancellationToken)
            {
                await Task.Delay(1, cancellationToken);
                return true;
            }

            [Tool]
            public void Log(string message, long count = 3) { }
        }
        """);

    [Fact]
    public void Inline_templates_with_a_loop() => VerifyGenerated("""
        using Distil;
        namespace Books;

        [Task("summary")]
        [SystemPrompt("You write short summaries.")]
        [UserPrompt("Summarise {{ title }} in {{ max_words }} words:\n{{ for point in key_points }}{{ for.index }}. {{ point }}\n{{ end }}")]
        public sealed partial class Summary : LlmTask<Summary.Input, Summary.Output>
        {
            public sealed record Input(string Title, int MaxWords, IReadOnlyList<string> KeyPoints);
            public sealed record Output(string Summary, int WordCount);
        }
        """);

    [Fact]
    public void Template_from_a_file_with_a_template_parameter() => VerifyGenerated("""
        using Distil;
        namespace Feedback;

        [Task("ultra_feedback")]
        [UserPrompt(File = "Prompts/rate.sbn")]
        public sealed partial class Rate : LlmTask<Rate.Input, Rate.Output>
        {
            [TemplateParameter] public string Aspect { get; set; } = "honesty";
            public sealed record Input(string Instruction, IReadOnlyList<string> Generations);
            public sealed record Output(IReadOnlyList<int?> Ratings, IReadOnlyList<string?> Rationales);
        }
        """,
        new InMemoryAdditionalText("/project/Prompts/rate.sbn",
            "Rate for {{ aspect | string.upcase }}.\n{{ instruction | string.strip }}\n{{ for g in generations }}[{{ for.index + 1 }}/{{ generations | array.size }}] {{ g }}\n{{ end }}"));

    [Fact]
    public void Nested_records_enums_nullables_columns_and_descriptions() => VerifyGenerated("""
        using System.ComponentModel;
        using Distil;
        namespace Review;

        public enum Verdict { Accept, Revise, Reject }

        [Description("A problem found in the code.")]
        public sealed record Finding(string Issue, [property: Column("line-number")] int? Line, double Severity);

        [Task("code_review")]
        [UserPrompt("Review:\n{{ code }}")]
        public sealed partial class CodeReview : LlmTask<CodeReview.Input, CodeReview.Output>
        {
            public sealed record Input(string Code);
            public sealed record Output(
                [property: Description("The overall decision.")] Verdict Verdict,
                Finding[] Findings,
                Finding? Worst,
                decimal Cost,
                long Tokens,
                bool? Approved);
        }
        """);

    [Fact]
    public void Grammar_bounds_from_MaxLength_StringLength_Length_and_integer_types() => VerifyGenerated("""
        using System.Collections.Generic;
        using System.ComponentModel.DataAnnotations;
        using Distil;
        namespace Bounds;

        // Read from its symbols (it has a base record), so both parser paths meet the attributes.
        public record Base(string Id);
        public sealed record Step([property: StringLength(30)] string Text, byte Order, bool Done) : Base(Text);

        [Task("plan")]
        [UserPrompt("Plan {{ goal }}")]
        public sealed partial class Plan : LlmTask<Plan.Input, Plan.Output>
        {
            public sealed record Input(string Goal);
            public sealed record Output(
                [property: MaxLength(80)] string Title,
                [property: Length(1, 3)] IReadOnlyList<Step> Steps,
                [property: MaxLength(0)] List<string> Nothing,
                [MaxLength] string? Free,
                uint Budget,
                short Risk,
                double Confidence);
        }
        """);

    [Fact]
    public void Hand_written_FormatMessages_replaces_templates() => VerifyGenerated("""
        using System.Collections.Generic;
        using System.Linq;
        using Distil;
        using Microsoft.Extensions.AI;
        namespace Chat;

        [Task("chat")]
        public sealed partial class Chat : LlmTask<Chat.Input, Chat.Output>
        {
            public sealed record Message(string Role, string Content);
            public sealed record Input(IReadOnlyList<Message> Messages);
            public sealed record Output(string Generation);

            IReadOnlyList<ChatMessage> FormatMessages(Input input) =>
                input.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList();
        }
        """);

    [Fact]
    public void Json_columns_are_read_as_copied_nodes() => VerifyGenerated("""
        using System.Collections.Generic;
        using System.Text.Json.Nodes;
        using Distil;
        using Microsoft.Extensions.AI;
        namespace Shaped;

        [Task("shaped")]
        public sealed partial class Shaped : LlmTask<Shaped.Input, Shaped.Output>
        {
            public sealed record Input(string Instruction, JsonObject Schema, JsonNode? Extra = null);
            public sealed record Output(string Generation);

            IReadOnlyList<ChatMessage> FormatMessages(Input input) =>
                [new ChatMessage(ChatRole.User, input.Instruction + "\n" + input.Schema.ToJsonString())];
        }
        """);

    [Fact]
    public void Hand_written_ParseOutput_replaces_JSON_parsing() => VerifyGenerated("""
        using Distil;
        namespace Rating;

        [Task("rating")]
        [UserPrompt("Rate: {{ text }}")]
        public sealed partial class Rating : LlmTask<Rating.Input, Rating.Output>
        {
            public sealed record Input(string Text);
            public sealed record Output(int Score);

            static Output? ParseOutput(string text, Input input) => int.TryParse(text.Trim(), out var s) ? new Output(s) : null;
        }
        """);

    [Fact]
    public void Template_beyond_the_compiled_subset_falls_back_to_runtime_Scriban() => VerifyGenerated("""
        using Distil;
        namespace Fallback;

        [Task("fallback")]
        [UserPrompt("{{ total = count * 2 }}{{ title | string.truncate 10 }} x{{ total }} {{ items }}")]
        public sealed partial class Fallback : LlmTask<Fallback.Input, Fallback.Output>
        {
            public sealed record Input(string Title, int Count, IReadOnlyList<string> Items);
            public sealed record Output(string Answer);
        }
        """);

    [Fact]
    public void Indented_tags_use_Scriban_auto_indent() => VerifyGenerated("""
        using Distil;
        namespace Indent;

        [Task("indented")]
        [UserPrompt("<ul>\n  {{ for x in items }}\n  <li>{{ x }}</li>\n  {{ end }}\n</ul>\n")]
        public sealed partial class Indented : LlmTask<Indented.Input, Indented.Output>
        {
            public sealed record Input(IReadOnlyList<string> Items);
            public sealed record Output(string Answer);
        }
        """);

    [Fact]
    public void Conditions_comparisons_and_nested_task_class() => VerifyGenerated("""
        using Distil;

        public static partial class Outer
        {
            [Task("conditions")]
            [UserPrompt("{{ if score >= 3 && !draft }}good{{ else if note == null }}none{{ else }}{{ note | string.downcase }}{{ end }} {{ ratio }} {{ flag }}")]
            public sealed partial class Conditions : LlmTask<Conditions.Input, Conditions.Output>
            {
                public sealed record Input(int Score, bool Draft, string? Note, double Ratio, bool? Flag);
                public sealed record Output(string Answer);
            }
        }
        """);

    [Fact]
    public void Records_with_a_base_record_or_an_explicit_constructor_are_read_from_symbols() => VerifyGenerated("""
        using System.ComponentModel;
        using Distil;
        namespace Inherit;

        public abstract record Document(string Id);

        public sealed record Article(string Id, string Body) : Document(Id);

        public sealed class Verdict
        {
            public Verdict(bool accepted) => Accepted = accepted;
            public bool Accepted { get; }
            [Description("Why.")] public string? Reason { get; init; }
        }

        [Task("inherit")]
        [UserPrompt("{{ article.id }}: {{ article.body }} ({{ source }})")]
        public sealed partial class Inherit : LlmTask<Inherit.Input, Verdict>
        {
            public sealed partial record Input(Article Article, string Source);
        }
        """);

    [Fact]
    public void A_step_with_a_setting_an_init_setting_and_an_optional_input_column() => VerifyGenerated("""
        using System.ComponentModel;
        using Distil;
        namespace Support;

        [Step("normalize")]
        public sealed partial class Normalize : Step<Normalize.Input, Normalize.Output>
        {
            public sealed record Input(string Text, string? Language = null);
            public sealed record Output(string CleanText, int Length, IReadOnlyList<string> Words);

            [Description("Lower-case the text.")]
            public bool Lowercase { get; set; }

            public int MaxLength { get; init; } = 200;

            public override Output Process(Input input)
            {
                var text = input.Text.Trim();
                if (Lowercase) text = text.ToLowerInvariant();
                return new Output(text, text.Length, text.Split(' '));
            }
        }
        """);

    [Fact]
    public void Many_global_and_generator_steps_with_a_record_declared_outside() => VerifyGenerated("""
        using Distil;
        namespace Support;

        public enum Level { Easy, Hard }
        public sealed record Exercise(string Topic, Level Level);

        [Step("split")]
        public sealed partial class Split : ManyStep<Split.Input, Split.Part>
        {
            public sealed record Input(string Text);
            public sealed record Part(string Sentence, int Index);
            public override IEnumerable<Part> Process(Input input) => input.Text.Split('.').Select((s, i) => new Part(s, i));
        }

        [Step("hardest")]
        public sealed partial class Hardest : GlobalStep<Exercise, Exercise>
        {
            public override IEnumerable<Exercise> Process(IReadOnlyList<Exercise> inputs) => inputs.Where(e => e.Level == Level.Hard);
        }

        [Step("exercises")]
        public sealed partial class Exercises : GeneratorStep<Exercise>
        {
            public IReadOnlyList<string> Topics { get; set; } = ["sql"];
            public override IEnumerable<Exercise> Generate() => Topics.Select(t => new Exercise(t, Level.Easy));
        }
        """);
}

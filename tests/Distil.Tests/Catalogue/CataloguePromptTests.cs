using Distil.Tasks;
using Distil.Testing;
using NUnit.Framework;

namespace Distil.Tests.Catalogue;

/// <summary>
/// What each catalogue task asks the model, for a fixed sample and for each parameter that
/// changes the prompt, as reviewed snapshots beside this file.
/// </summary>
public class CataloguePromptTests
{
    [Test]
    public void Quality_scorer() => PromptSnapshot.Verify(new QualityScorer(),
        new QualityScorer.Input("Name a primary colour.", ["Red.", "Teal, which is a mix of blue and green.", "Colours are nice."]),
        includeSchema: true);

    [Test]
    public void Complexity_scorer() => PromptSnapshot.Verify(new ComplexityScorer(),
        new ComplexityScorer.Input(["Say hello.", "Prove that there are infinitely many primes.", "Plan a three-day trip to Kyoto on a budget."]),
        includeSchema: true);

    [Test]
    public void Instruction_backtranslation() => PromptSnapshot.Verify(new InstructionBacktranslation(),
        new InstructionBacktranslation.Input("How do I boil an egg?", "Put it in boiling water for eight minutes, then cool it in cold water."),
        includeSchema: true);

    [Test]
    public void Self_instruct() => PromptSnapshot.Verify(new SelfInstruct(),
        new SelfInstruct.Input("The water cycle moves water between oceans, air and land."), includeSchema: true);

    [Test]
    public void Self_instruct_with_parameters() => PromptSnapshot.Verify(
        new SelfInstruct { NumInstructions = 3, Criteria = "Each must be a yes-or-no question.", ApplicationDescription = "a tutor for children" },
        new SelfInstruct.Input("The water cycle moves water between oceans, air and land."));

    [Test]
    public void Instruction_generator_from_a_full_seed() => PromptSnapshot.Verify(new InstructionGenerator(),
        new InstructionGenerator.Input("tides", "hard", "a retired sailor who distrusts apps"), includeSchema: true);

    [Test]
    public void Instruction_generator_from_nothing() => PromptSnapshot.Verify(
        new InstructionGenerator { ApplicationDescription = "a cooking assistant" }, new InstructionGenerator.Input());

    [Test]
    public void Genstruct() => PromptSnapshot.Verify(new Genstruct(),
        new Genstruct.Input("Photosynthesis", "Plants turn light, water and carbon dioxide into sugar and oxygen."), includeSchema: true);

    [TestCase("paraphrase", false, "")]
    [TestCase("semantically-similar", true, "")]
    [TestCase("query", true, "Passages come from a cooking encyclopedia.")]
    [TestCase("answer", false, "")]
    public void Generate_sentence_pair(string action, bool triplet, string context) => PromptSnapshot.Verify(
        new GenerateSentencePair { Action = action, Triplet = triplet, Context = context },
        new GenerateSentencePair.Input("How long should an egg boil?"),
        name: $"Generate_sentence_pair_{action}{(triplet ? "_triplet" : "")}{(context.Length > 0 ? "_context" : "")}");

    [Test]
    public void Clair() => PromptSnapshot.Verify(new Clair(),
        new Clair.Input("What is 15% of 80?", "15% of 80 is 15 times 80, which is 1200."), includeSchema: true);

    [TestCase("helpfulness")]
    [TestCase("honesty")]
    [TestCase("instruction-following")]
    [TestCase("truthfulness")]
    [TestCase("overall-rating")]
    public void Ultrafeedback(string aspect) => PromptSnapshot.Verify(new UltraFeedback { Aspect = aspect },
        new UltraFeedback.Input("Name the capital of Australia.", ["Canberra.", "Sydney, the largest city."]),
        includeSchema: aspect == "helpfulness",
        name: $"Ultrafeedback_{aspect}");

    [Test]
    public void Prometheus_eval_absolute() => PromptSnapshot.Verify(new PrometheusEval(),
        new PrometheusEval.Input("Explain why the sky is blue.", "Because of the sea."), includeSchema: true);

    [Test]
    public void Prometheus_eval_absolute_with_reference_and_rubric() => PromptSnapshot.Verify(new PrometheusEval { Rubric = "factual-validity" },
        new PrometheusEval.Input("Explain why the sky is blue.", "Because of the sea.", "Air scatters blue light more than red light (Rayleigh scattering)."));

    [Test]
    public void Prometheus_eval_relative() => PromptSnapshot.Verify(new PrometheusEvalRelative { Rubric = "reasoning" },
        new PrometheusEvalRelative.Input("Is 91 prime?", ["Yes, it is odd.", "No: 91 = 7 × 13."]), includeSchema: true);

    [Test]
    public void Prometheus_eval_custom_rubric() => PromptSnapshot.Verify(
        new PrometheusEval
        {
            Rubric = "concision",
            Rubrics = new Dictionary<string, string>
            {
                ["concision"] = "[Is the response as short as it can be?]\nScore 1: Rambling.\nScore 2: Long.\nScore 3: Some padding.\nScore 4: Tight.\nScore 5: Not a word too many.",
            },
        },
        new PrometheusEval.Input("Say hi.", "Hi!"));

    [Test]
    public void Text_classification() => PromptSnapshot.Verify(new TextClassification(),
        new TextClassification.Input("The parcel arrived two weeks late and damaged."), includeSchema: true);

    [Test]
    public void Text_classification_with_parameters() => PromptSnapshot.Verify(
        new TextClassification
        {
            NumLabels = 2,
            AvailableLabels = ["delivery", "quality", "price", "service"],
            DefaultLabel = "other",
            Context = "Texts are customer reviews of an online shop.",
            Examples = ["\"Cheaper elsewhere.\" → price", "\"Nobody answered my call.\" → service"],
        },
        new TextClassification.Input("The parcel arrived two weeks late and damaged."));

    private const string CalculatorTools =
        """[{"name": "add", "description": "Adds two integers.", "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}}]""";

    [Test]
    public void Apigen_generator() => PromptSnapshot.Verify(new ApiGenGenerator { Number = 3 }, new ApiGenGenerator.Input(CalculatorTools));

    [Test]
    public void Apigen_semantic_checker() => PromptSnapshot.Verify(new ApiGenSemanticChecker(),
        new ApiGenSemanticChecker.Input("What is 17 plus 25?", """[{"name": "add", "arguments": {"a": 17, "b": 25}}]""", ["42"], CalculatorTools), includeSchema: true);

    [Test]
    public void Apigen_semantic_checker_without_results_or_tools() => PromptSnapshot.Verify(new ApiGenSemanticChecker(),
        new ApiGenSemanticChecker.Input("What is 17 plus 25?", """[{"name": "add", "arguments": {"a": 17, "b": 25}}]"""));

    [Test]
    public void Urial_instruction() => PromptSnapshot.Verify(new Urial(), new Urial.Input("How do I sort a list in C#?"), includeSchema: true);

    [Test]
    public void Urial_conversation() => PromptSnapshot.Verify(new Urial(), new Urial.Input(Conversation:
        [new Urial.Turn("user", "Hi! Can you help me plan a trip?"), new Urial.Turn("assistant", "Of course. Where to?"), new Urial.Turn("user", "Lisbon, for three days.")]));

    [Test]
    public void Text_generation() => PromptSnapshot.Verify(new TextGeneration(), new TextGeneration.Input("Write a haiku about rain."), includeSchema: true);

    [Test]
    public void Text_generation_with_system_prompt_and_template() => PromptSnapshot.Verify(
        new TextGeneration { SystemPrompt = "You are a poet.", Template = "Answer in under 50 words.\n\n{{ instruction }}" },
        new TextGeneration.Input("Write a haiku about rain."));

    [Test]
    public void Text_generation_row_system_prompt_wins() => PromptSnapshot.Verify(
        new TextGeneration { SystemPrompt = "You are a poet." },
        new TextGeneration.Input("Write a haiku about rain.", "You are a meteorologist."));

    [Test]
    public void Chat_generation() => PromptSnapshot.Verify(new ChatGeneration(), new ChatGeneration.Input(
        [new ChatGeneration.Message("system", "You are terse."), new ChatGeneration.Message("user", "Hi!"),
         new ChatGeneration.Message("assistant", "Hello."), new ChatGeneration.Message("user", "What is 2 + 2?")]),
        includeSchema: true);

    [Test]
    public void Evol_instruct() => PromptSnapshot.Verify(new EvolInstruct(), new InstructionEvolution.Input("Write a haiku about rain."));

    [Test]
    public void Evol_complexity() => PromptSnapshot.Verify(new EvolComplexity(), new InstructionEvolution.Input("Write a haiku about rain."));

    [Test]
    public void Evol_quality() => PromptSnapshot.Verify(new EvolQuality(),
        new EvolQuality.Input("Why do leaves change colour?", "Because of the cold."));

    [Test]
    public void Structured_generation() => PromptSnapshot.Verify(new StructuredGeneration(),
        new StructuredGeneration.Input("Invent a character for a fantasy novel.", null, "You answer in JSON."));

    [Test]
    public void Magpie_with_system_prompt() => PromptSnapshot.Verify(new Magpie { SystemPrompt = "You are a patient chemistry teacher." }, new Magpie.Input());
}

using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Distil.Tests.Pipelines;

/// <summary>A task whose output has every kind of column: enum, nullable number, list of numbers, nested record, list of records.</summary>
[Task("review_analysis")]
[UserPrompt("Item {{ id }}: {{ text }}")]
public sealed partial class ReviewAnalysisTask : LlmTask<ReviewAnalysisTask.Input, ReviewAnalysisTask.Output>
{
    public sealed record Input(int Id, string Text);

    public enum Sentiment { Negative, Neutral, Positive }

    public sealed record Aspect(string Name, int Rating);

    public sealed record Source(string Site, bool Verified);

    public sealed record Output(
        [property: Description("The overall tone of the review.")] Sentiment Sentiment,
        double? Score,
        [property: Range(0, 5)] IReadOnlyList<double> Ratings,
        Source Source,
        IReadOnlyList<Aspect> Aspects);

    /// <summary>The JSON answer for item <paramref name="id"/>.</summary>
    public static string Answer(int id) =>
        $$"""{"sentiment": "{{(Sentiment)(id % 3)}}", "score": {{(id % 2 == 0 ? "0.5" : "null")}}, "ratings": [{{id % 5}}, 4.5], "source": {"site": "s{{id}}", "verified": {{(id % 2 == 0 ? "true" : "false")}}}, "aspects": [{"name": "price", "rating": {{id % 5}}}]}""";
}

using System.ComponentModel;

namespace Distil.Tests.Tasks;

[Task("summary")]
[SystemPrompt("You write short, faithful summaries.")]
[UserPrompt("""
Summarise {{ title }} in {{ max_words }} words:
{{ for point in key_points }}- {{ point }}
{{ end }}
""")]
public sealed partial class SummaryTask : LlmTask<SummaryTask.Input, SummaryTask.Output>
{
    public sealed record Input(string Title, int MaxWords, IReadOnlyList<string> KeyPoints);

    public sealed record Output(
        [property: Description("The summary itself.")] string Summary,
        int WordCount);
}

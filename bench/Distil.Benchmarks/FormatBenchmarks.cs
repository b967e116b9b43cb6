using BenchmarkDotNet.Attributes;

namespace Distil.Benchmarks;

/// <summary>
/// One row of a three-response scoring task: render the prompt, then parse the answer. The
/// compiled template against Scriban rendering the same template at run time, and against a
/// hand-written StringBuilder.
/// </summary>
[MemoryDiagnoser]
public class FormatBenchmarks
{
    private const string Answer =
        "{\"ratings\": [4, 2, 5], \"rationale\": \"The first is correct but terse; the second misses the point; the third is complete and clear.\"}";

    private readonly ThreeResponseScorer _task = new();
    private readonly ThreeResponseScorer.Input _input = new(
        "Explain why the sky is blue in two sentences.",
        [
            "Sunlight scatters off air molecules, and blue light scatters most because of its short wavelength.",
            "The sky reflects the ocean, which is blue.",
            "Air molecules scatter short wavelengths far more than long ones (Rayleigh scattering). So blue light reaches our eyes from every direction of the sky.",
        ]);

    [GlobalSetup]
    public void CheckAllThreeAgree()
    {
        var compiled = _task.FormatInput(_input);
        var scriban = _task.FormatInputWithScriban(_input);
        var handWritten = HandWrittenScorer.FormatInput(_input, _task.Aspect);
        for (var i = 0; i < 2; i++)
        {
            if (compiled[i].Text != scriban[i].Text || compiled[i].Text != handWritten[i].Text)
                throw new InvalidOperationException($"The three renderings differ:\n{compiled[i].Text}\n---\n{scriban[i].Text}\n---\n{handWritten[i].Text}");
        }
        if (_task.FormatOutput(Answer, _input) is null || HandWrittenScorer.FormatOutput(Answer) is null)
            throw new InvalidOperationException("The answer does not parse.");
    }

    [Benchmark(Baseline = true, Description = "hand-written StringBuilder + JsonDocument")]
    public object HandWritten() => (HandWrittenScorer.FormatInput(_input, _task.Aspect), HandWrittenScorer.FormatOutput(Answer));

    [Benchmark(Description = "Distil compiled template + generated parser")]
    public object Compiled() => (_task.FormatInput(_input), _task.FormatOutput(Answer, _input));

    [Benchmark(Description = "Scriban at run time + generated parser")]
    public object RuntimeScriban() => (_task.FormatInputWithScriban(_input), _task.FormatOutput(Answer, _input));
}

using Distil.Pipelines;
using NUnit.Framework;

namespace Distil.Tests.Runtime;

/// <summary>The "did you mean" of run-time errors (columns, steps, parameters): a close spelling, or the one name that holds the given one as whole words.</summary>
public class DidYouMeanTests
{
    [TestCase("genration", "generation")]
    [TestCase("Temperature", "temperature")]
    [TestCase("text", "clean_text")]
    [TestCase("clean", "clean_text")]
    [TestCase("max_tokens", "max_new_tokens")]
    public void Suggests_a_close_spelling_or_the_one_name_holding_the_words(string name, string expected) =>
        Assert.That(DidYouMean.Closest(name, ["generation", "temperature", "clean_text", "max_new_tokens", "length"]), Is.EqualTo(expected));

    [Test]
    public void A_word_that_two_names_hold_suggests_neither() =>
        Assert.That(DidYouMean.Closest("text", ["clean_text", "raw_text", "length"]), Is.Null);

    [Test]
    public void A_name_far_from_every_candidate_suggests_nothing() =>
        Assert.That(DidYouMean.Closest("rating", ["clean_text", "length"]), Is.Null);
}

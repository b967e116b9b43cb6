using NUnit.Framework;

namespace Distil.Tests.Runtime;

/// <summary><see cref="ErrorText"/>: messages a user reads, without C# parameter names and with one full stop.</summary>
public class ErrorTextTests
{
    [Test]
    public void An_argument_exceptions_parameter_name_is_left_out()
    {
        var error = new ArgumentException("Unknown aspect 'x'; use one of: honesty.", "Aspect");

        Assert.That(error.Message, Does.Contain("(Parameter 'Aspect')"), "what the runtime appends");
        Assert.That(ErrorText.Of(error), Is.EqualTo("Unknown aspect 'x'; use one of: honesty."));
    }

    [Test]
    public void An_out_of_range_value_keeps_its_actual_value_but_loses_the_parameter_name()
    {
        var error = new ArgumentOutOfRangeException("value", 0, "MaxConcurrency must be 1 or more.");

        Assert.That(ErrorText.Of(error), Is.EqualTo("MaxConcurrency must be 1 or more." + Environment.NewLine + "Actual value was 0."));
    }

    [Test]
    public void Other_exceptions_keep_their_message() =>
        Assert.That(ErrorText.Of(new InvalidOperationException("No (Parameter 'x') here.")), Is.EqualTo("No (Parameter 'x') here."));

    [TestCase("It has: a, b", "It has: a, b.")]
    [TestCase("It has: a, b.", "It has: a, b.")]
    [TestCase("Did you mean 'aspect'?", "Did you mean 'aspect'?")]
    [TestCase("Stop!", "Stop!")]
    [TestCase("Trailing space. ", "Trailing space.")]
    [TestCase("", "")]
    public void A_sentence_ends_once(string text, string sentence) => Assert.That(ErrorText.Sentence(text), Is.EqualTo(sentence));
}

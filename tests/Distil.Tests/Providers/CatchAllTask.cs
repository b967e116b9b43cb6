using Distil.Testing;

namespace Distil.Tests.Providers;

/// <summary>
/// A task whose generation catches every exception and answers with a fallback, as defensive user
/// code does: nothing the runtime does may depend on an exception passing through it.
/// </summary>
[Task("catch_all")]
[UserPrompt("Item {{ id }}: {{ text }}")]
public sealed partial class CatchAllTask : LlmTask<EchoTask.Input, EchoTask.Output>
{
    private int _caught;

    /// <summary>How many exceptions the task's code has caught.</summary>
    public int Caught => Volatile.Read(ref _caught);

    protected override async Task<EchoTask.Output?> GenerateAsync(EchoTask.Input input, GenerationCalls calls, CancellationToken cancellationToken)
    {
        try
        {
            var text = await calls.AskAsync(FormatInput(input));
            return FormatOutput(text, input) ?? new EchoTask.Output("fallback");
        }
        catch (Exception)
        {
            Interlocked.Increment(ref _caught);
            return new EchoTask.Output("caught");
        }
    }
}

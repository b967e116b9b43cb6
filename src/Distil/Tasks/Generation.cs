using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>One answer of the LLM to one prompt, parsed or not, or the failure that replaced it.</summary>
internal sealed record Generation<TOutput>(
    string? Text,
    TOutput? Output,
    UsageDetails? Usage,
    string? ModelId,
    Exception? Error)
    where TOutput : class
{
    public bool Failed => Error is not null;

    public static Generation<TOutput> FromFailure(Exception error) => new(null, null, null, null, error);
}

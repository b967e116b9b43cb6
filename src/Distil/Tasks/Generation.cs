using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>
/// One generation of a row, parsed or not, or the failure that replaced it. <see cref="Text"/>
/// and <see cref="Messages"/> are those of its last call (most tasks make one).
/// </summary>
internal sealed record Generation<TOutput>(
    string? Text,
    TOutput? Output,
    UsageDetails? Usage,
    string? ModelId,
    IReadOnlyList<ChatMessage> Messages,
    Exception? Error)
    where TOutput : class
{
    public bool Failed => Error is not null;

    /// <summary>Why the parsed output was set aside: it broke a rule of its row (<c>CheckOutput</c>).</summary>
    public string? Rejection { get; init; }

    public static Generation<TOutput> FromFailure(Exception error, IReadOnlyList<ChatMessage>? messages) =>
        new(null, null, null, null, messages ?? [], error);
}

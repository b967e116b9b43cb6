namespace Distil;

/// <summary>
/// Marks a chat client that honours <see cref="ChatOptionsKeys.PreQueryTemplate"/>: it can
/// continue a raw chat-template prefix, which only clients that render the template themselves
/// (local models) can do. Tasks find it with <c>GetService</c>, through any middleware.
/// </summary>
public interface ISupportsPreQueryTemplate
{
}

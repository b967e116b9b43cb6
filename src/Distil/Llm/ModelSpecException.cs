namespace Distil;

/// <summary>
/// A model spec cannot be turned into an LLM client: it is malformed, names an unknown provider,
/// or lacks what the provider needs (a key, an endpoint, a file). The message says what to do.
/// </summary>
public sealed class ModelSpecException : Exception
{
    /// <summary>Creates the error for <paramref name="spec"/>.</summary>
    public ModelSpecException(string spec, string message, Exception? innerException = null)
        : base(message, innerException) => Spec = spec;

    /// <summary>The spec as written.</summary>
    public string Spec { get; }
}

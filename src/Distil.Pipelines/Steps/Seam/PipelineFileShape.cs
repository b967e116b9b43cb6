namespace Distil.Pipelines;

/// <summary>
/// An object of a pipeline file: what it is (for messages) and its keys, or null for an object of
/// free names (params, mappings, a sample's columns), whose values are checked by the step that reads them.
/// </summary>
/// <param name="What">The object as messages name it (<c>"format_sft"</c>, <c>step 'answer' (task)</c>).</param>
/// <param name="Keys">The keys it may hold; null for free names.</param>
public sealed record PipelineFileShape(string What, IReadOnlyList<PipelineFileKey>? Keys)
{
    /// <summary>The key named <paramref name="name"/>, or null.</summary>
    public PipelineFileKey? Find(string name) => Keys?.FirstOrDefault(k => k.Name == name);
}

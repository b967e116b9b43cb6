using System.Runtime.CompilerServices;
using Distil.Pipelines;

[assembly: PipelineStepKind(typeof(DocumentsFileKind))]

namespace Distil.Pipelines;

/// <summary>
/// <c>"documents": { "folder": "docs", "chunk_by": "headings", "max_tokens": 512, "overlap_tokens": 64 }</c> in a
/// pipeline file: the rows of <see cref="DocumentRowSource"/>, as the first step (no <c>"after"</c>). The
/// <c>distil</c> command registers it; another host calls <c>PipelineStepKinds.RegisterAssembly</c> with this assembly.
/// </summary>
public sealed class DocumentsFileKind : PipelineFileStepKind
{
    /// <inheritdoc/>
    public override PipelineFileKey Key { get; } = PipelineFileKey.Options("documents",
        "Rows of chunks of the documents in a folder (text, Markdown, HTML, PDF).",
        PipelineFileKey.Text("folder", "The folder of documents, relative to the pipeline file (its subfolders too)."),
        PipelineFileKey.Text("chunk_by", "headings (default: a chunk per heading or PDF page, long ones cut by tokens) or tokens (windows over the whole text)."),
        PipelineFileKey.WholeNumber("max_tokens", "The most tokens in a chunk (default 512)."),
        PipelineFileKey.WholeNumber("overlap_tokens", "Tokens a window shares with the one before it (default 64)."));

    /// <inheritdoc/>
    public override StepHandle Build(PipelineFileStepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Parents.Count > 0) throw context.Error("reads a folder and cannot come after another step");
        if (context.Options is null) throw context.Error("\"documents\" must be an object with \"folder\"");
        var folder = context.Text("folder") ?? throw context.Error("\"documents\" needs \"folder\": the folder of documents");
        var defaults = new DocumentChunking();
        var chunking = new DocumentChunking
        {
            By = ChunkBy(context),
            MaxTokens = WholeNumber(context, "max_tokens") ?? defaults.MaxTokens,
            OverlapTokens = WholeNumber(context, "overlap_tokens") ?? defaults.OverlapTokens,
        };
        DocumentRowSource source;
        try
        {
            source = new DocumentRowSource(context.ResolvePath(folder), chunking);
        }
        catch (ArgumentException error)
        {
            throw context.Error(ErrorText.Of(error));
        }
        return context.Pipeline.Load(source, context.StepName);
    }

    private static DocumentChunkBy ChunkBy(PipelineFileStepContext context) => context.Text("chunk_by") switch
    {
        null or "headings" => DocumentChunkBy.Headings,
        "tokens" => DocumentChunkBy.Tokens,
        var other => throw context.Error($"\"chunk_by\" is '{other}'; it must be headings or tokens"),
    };

    private static int? WholeNumber(PipelineFileStepContext context, string key) => context.Number(key) switch
    {
        null => null,
        var value when value == Math.Floor(value.Value) && value is >= 0 and <= int.MaxValue => (int)value.Value,
        var value => throw context.Error($"\"{key}\" is {value}; it must be a whole number"),
    };

#pragma warning disable CA2255 // A library's module initializer: registering the kind is part of this package's point.
    /// <summary>Registers the kind as soon as any type of this package is used.</summary>
    [ModuleInitializer]
    internal static void RegisterOnLoad() => PipelineStepKinds.Register(new DocumentsFileKind());
#pragma warning restore CA2255
}

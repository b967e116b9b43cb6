using Microsoft.Extensions.AI.Evaluation;

namespace Distil.Pipelines;

/// <summary>A row's column handed to an evaluator as context, named after the column.</summary>
public sealed class ColumnContext(string name, string text) : EvaluationContext(name, text);

using Distil.Pipelines;

namespace Distil;

/// <summary>
/// What every typed step (<see cref="Step{TIn, TOut}"/>, <see cref="ManyStep{TIn, TOut}"/>,
/// <see cref="GlobalStep{TIn, TOut}"/>, <see cref="GeneratorStep{TOut}"/>) has, written by the
/// generator from its <see cref="StepAttribute"/> class: its settings by name and the columns of
/// its records. A tool that makes steps by name (<c>distil run --assembly</c>) creates the class
/// with its parameterless constructor, sets <see cref="PipelineStep.Name"/> and each setting, then
/// adds it with <see cref="StepHandle.Then(PipelineStep)"/>.
/// </summary>
public interface ITypedStep
{
    /// <summary>The step's public settable properties, by snake_case name (generated).</summary>
    IReadOnlyList<StepSetting> StepSettings { get; }

    /// <summary>The columns the step reads (its input record's; empty for a generator step).</summary>
    RowSchema InputSchema { get; }

    /// <summary>The columns the step writes (its output record's).</summary>
    RowSchema OutputSchema { get; }
}

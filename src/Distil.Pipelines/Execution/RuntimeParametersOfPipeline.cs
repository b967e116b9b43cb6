namespace Distil.Pipelines;

/// <summary>Runtime parameters given to a pipeline: each one names a task step of it.</summary>
internal static class RuntimeParametersOfPipeline
{
    internal static void ApplyTo(this RuntimeParameters parameters, Pipeline pipeline)
    {
        foreach (var setting in parameters.Settings)
        {
            var step = pipeline.Steps.FirstOrDefault(s => s.Name == setting.Step);
            if (step is null)
            {
                var suggestion = DidYouMean.Closest(setting.Step, pipeline.Steps.Select(s => s.Name)) is { } close ? $" Did you mean '{close}'?" : "";
                throw new PipelineException(
                    $"Runtime parameter {setting.Origin}: there is no step '{setting.Step}'.{suggestion} Steps: {string.Join(", ", pipeline.Steps.Select(s => s.Name))}.");
            }
            if (step is not TaskNode { Task: var task })
            {
                throw new PipelineException($"Runtime parameter {setting.Origin}: step '{step.Name}' ({step.Kind}) has no runtime parameters; only tasks do.");
            }
            RuntimeParameters.Apply(task, setting);
        }
    }
}

namespace Distil.Generators;

/// <summary>Names of the incremental steps, for caching tests.</summary>
internal static class TrackingNames
{
    public const string TaskClasses = nameof(TaskClasses);
    public const string TaskDeclarations = nameof(TaskDeclarations);
    public const string TemplateFiles = nameof(TemplateFiles);
    public const string TaskTemplateFiles = nameof(TaskTemplateFiles);
    public const string TaskCode = nameof(TaskCode);
    public const string TaskSpecs = nameof(TaskSpecs);
    public const string Diagnostics = nameof(Diagnostics);
    public const string StepClasses = nameof(StepClasses);
    public const string StepDeclarations = nameof(StepDeclarations);
    public const string StepCode = nameof(StepCode);
    public const string StepDiagnostics = nameof(StepDiagnostics);
    public const string RowRecords = nameof(RowRecords);
    public const string RowMappers = nameof(RowMappers);
    public const string FileFormats = nameof(FileFormats);
    public const string ToolMethods = nameof(ToolMethods);
    public const string ToolClasses = nameof(ToolClasses);
    public const string ToolDiagnostics = nameof(ToolDiagnostics);
}

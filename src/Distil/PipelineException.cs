namespace Distil.Pipelines;

/// <summary>A pipeline that cannot run as declared, or a run directory that cannot be used; the message says what and where.</summary>
public sealed class PipelineException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public PipelineException(string message) : base(message) { }

    /// <summary>Creates the exception with its message and cause.</summary>
    public PipelineException(string message, Exception innerException) : base(message, innerException) { }
}

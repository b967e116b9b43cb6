namespace Distil.Pipelines;

/// <summary><c>result.WriteReportAsync()</c>, added to <see cref="PipelineResult"/> by this package.</summary>
public static class PipelineResultReport
{
    /// <summary>
    /// Writes the run report of the result's run directory (every run of it so far): one self-contained HTML file
    /// with the pipeline, each task's calls, failures, tokens, latency and cost, charts of the output columns and a
    /// sample of rows. Returns its full path.
    /// </summary>
    /// <param name="result">A finished run.</param>
    /// <param name="path">The file to write (default: <c>report.html</c> in the run directory).</param>
    /// <param name="options">Prices and sample sizes.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    public static Task<string> WriteReportAsync(this PipelineResult result, string? path = null, RunReportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        return RunReport.WriteAsync(result.RunDirectory, path, options, cancellationToken);
    }
}

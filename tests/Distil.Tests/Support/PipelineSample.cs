using System.Diagnostics;

namespace Distil.Tests.Support;

/// <summary>Starts the pipeline sample as a child process, as a user would run it.</summary>
internal static class PipelineSample
{
    public static Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Assembly());
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return Process.Start(start)!;
    }

    /// <summary>Runs the sample to its end and returns its exit code and standard error.</summary>
    public static async Task<(int ExitCode, string Error)> RunAsync(params string[] arguments)
    {
        using var child = Start(arguments);
        var error = child.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.WaitForExitAsync(timeout.Token);
        return (child.ExitCode, await error);
    }

    private static string Assembly()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Distil.Generated.sln"))) continue;
            var path = Path.Combine(dir.FullName, "samples", "Distil.Samples.Pipeline", "bin", configuration, "net10.0", "Distil.Samples.Pipeline.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("Build the pipeline sample first.", path);
        }
        throw new InvalidOperationException("The repository root is not above the test's folder.");
    }
}

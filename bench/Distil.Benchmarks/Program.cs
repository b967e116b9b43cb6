using BenchmarkDotNet.Running;
using Distil.Benchmarks;

// dotnet run -c Release --project bench/Distil.Benchmarks -- --filter '*'
// The throughput benchmark starts this program again as its stand-in LLM service.
if (args is [FakeServerProcess.Argument, var latencyMs])
{
    await FakeServerProcess.ServeAsync(TimeSpan.FromMilliseconds(double.Parse(latencyMs, System.Globalization.CultureInfo.InvariantCulture)));
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

using BenchmarkDotNet.Running;
using Distil.Benchmarks;

// dotnet run -c Release --project bench/Distil.Benchmarks -- --filter '*'
// The throughput benchmark starts this program again as its stand-in LLM service.
if (args is [FakeServerProcess.Argument, var latencyMs, var sigma])
{
    await FakeServerProcess.ServeAsync(
        TimeSpan.FromMilliseconds(double.Parse(latencyMs, System.Globalization.CultureInfo.InvariantCulture)),
        double.Parse(sigma, System.Globalization.CultureInfo.InvariantCulture));
    return;
}
// dotnet run -c Release --project bench/Distil.Benchmarks -- --pipeline-memory 1000000
// One run of a large pipeline, reporting its peak memory (not a BenchmarkDotNet job: one run takes minutes).
if (args is [PipelineMemoryRun.Argument, var rows])
{
    await PipelineMemoryRun.RunAsync(int.Parse(rows, System.Globalization.CultureInfo.InvariantCulture));
    return;
}
// dotnet run -c Release --project bench/Distil.Benchmarks -- --generator-cpu 1000 30 [path/to/baseline/Distil.Generators.dll]
// The generator after an edit and its floor, by CPU time, arms interleaved (see docs/benchmarks.md).
if (args is [GeneratorCpuRun.Argument, var taskCount, var rounds, .. var baseline])
{
    GeneratorCpuRun.Run(
        int.Parse(taskCount, System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(rounds, System.Globalization.CultureInfo.InvariantCulture),
        baseline is [var path] ? path : null);
    return;
}
// dotnet bench/Distil.Benchmarks/bin/Release/net10.0/Distil.Benchmarks.dll --request-rate src/Distil.Cli/bin/Release/net10.0/Distil.Cli.dll
// `distil run` against the fake server, beside a minimal keep-alive client (whole processes: not a BenchmarkDotNet job).
if (args is [RequestRateRun.Argument, .. var rateArguments])
{
    await RequestRateRun.RunAsync(rateArguments);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

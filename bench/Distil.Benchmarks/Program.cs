using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Distil.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

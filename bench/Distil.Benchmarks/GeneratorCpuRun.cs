using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Distil.Generators;
using Microsoft.CodeAnalysis;

namespace Distil.Benchmarks;

/// <summary>
/// The generator's "after editing one task" and its floor, measured as CPU time of the thread that
/// runs them rather than wall time: on a VM shared with parallel builds, wall time mostly measures
/// waiting for a core. The arms take turns, round after round, so that a busy minute hits them all;
/// the medians are reported. Optionally a baseline build of Distil.Generators.dll (another commit)
/// is loaded beside this one, so that old and new are measured in the same run.
/// </summary>
internal static class GeneratorCpuRun
{
    public const string Argument = "--generator-cpu";

    public static void Run(int tasks, int rounds, string? baselinePath)
    {
        var (original, edited) = GeneratorBenchmarks.Compilations(tasks);
        var arms = new List<(string Name, GeneratorDriver Warm)>
        {
            ("floor: attribute lookup only", GeneratorBenchmarks.NewDriver(new GeneratorBenchmarks.AttributeLookupOnly()).RunGenerators(original)),
            ("this build", GeneratorBenchmarks.NewDriver(new TaskGenerator()).RunGenerators(original)),
        };
        if (baselinePath is not null) arms.Add(("baseline " + baselinePath, GeneratorBenchmarks.NewDriver(LoadBaseline(baselinePath)).RunGenerators(original)));

        var cpu = arms.Select(_ => new List<double>()).ToArray();
        var allocated = arms.Select(_ => new List<long>()).ToArray();
        const int warmup = 3;
        for (var round = 0; round < warmup + rounds; round++)
        {
            for (var turn = 0; turn < arms.Count; turn++)
            {
                var arm = (turn + round) % arms.Count; // a different arm goes first each round
                var compilation = edited.Clone();
                var bytes = GC.GetAllocatedBytesForCurrentThread();
                var start = ThreadCpu();
                arms[arm].Warm.RunGenerators(compilation);
                var elapsed = ThreadCpu() - start;
                bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
                if (round < warmup) continue;
                cpu[arm].Add(elapsed.TotalMilliseconds);
                allocated[arm].Add(bytes);
            }
        }

        var floor = Median(cpu[0]);
        Console.WriteLine($"{tasks} tasks, one edited; {rounds} rounds after {warmup} of warm-up; CPU time of the running thread per run");
        Console.WriteLine("| Arm | Median | Mean | Min | Max | × floor (medians) | Allocated |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        for (var arm = 0; arm < arms.Count; arm++)
        {
            var times = cpu[arm];
            Console.WriteLine($"| {arms[arm].Name} | {Median(times):F1} ms | {times.Average():F1} ms | {times.Min():F1} ms | {times.Max():F1} ms | " +
                              $"{Median(times) / floor:F2} | {allocated[arm].Average() / 1048576:F1} MB |");
        }
    }

    // Only the generator comes from the baseline's folder; Roslyn, the one this process uses, is shared.
    private static IIncrementalGenerator LoadBaseline(string path)
    {
        var context = new AssemblyLoadContext("baseline generator");
        var assembly = context.LoadFromAssemblyPath(Path.GetFullPath(path));
        var type = assembly.GetType("Distil.Generators.TaskGenerator", throwOnError: true)!;
        return (IIncrementalGenerator)Activator.CreateInstance(type)!;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static TimeSpan ThreadCpu()
    {
        if (!OperatingSystem.IsLinux()) return Process.GetCurrentProcess().TotalProcessorTime;
        clock_gettime(ClockThreadCpuTime, out var time);
        return TimeSpan.FromTicks(time.Seconds * TimeSpan.TicksPerSecond + time.Nanoseconds / 100);
    }

    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int clock_gettime(int clock, out TimeSpec time);
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Distil.Tests.Support;

/// <summary>
/// A program of the repository started as a child process, as a user would run it: the pipeline
/// sample or the distil command. Both output streams are read as they come, so a chatty child
/// never blocks on a full pipe.
/// </summary>
public sealed class ChildProgram
{
    public static ChildProgram PipelineSample { get; } = new(Path.Combine("samples", "Distil.Samples.Pipeline"), "Distil.Samples.Pipeline.dll");

    public static ChildProgram ToolsSample { get; } = new(Path.Combine("samples", "Distil.Samples.Tools"), "Distil.Samples.Tools.dll");

    public static ChildProgram Distil { get; } = new(Path.Combine("src", "Distil.Cli"), "Distil.Cli.dll");

    private readonly string _project;
    private readonly string _assembly;

    private ChildProgram(string project, string assembly)
    {
        _project = project;
        _assembly = assembly;
    }

    /// <summary>Starts the program; read what it printed from the returned child once it ends.</summary>
    public Child Start(params string[] arguments) => Start(new Dictionary<string, string>(), arguments);

    /// <summary>Starts the program with <paramref name="environment"/> added to its environment.</summary>
    public Child Start(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.ArgumentList.Add(Assembly());
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return new Child(Process.Start(start)!);
    }

    /// <summary>Runs the program to its end and returns its exit code and standard error.</summary>
    public Task<(int ExitCode, string Error)> RunAsync(params string[] arguments) => RunAsync(new Dictionary<string, string>(), arguments);

    /// <summary>Runs the program, with <paramref name="environment"/> added, to its end.</summary>
    public async Task<(int ExitCode, string Error)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        using var child = Start(environment, arguments);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await child.Process.WaitForExitAsync(timeout.Token);
        return (child.Process.ExitCode, child.Error);
    }

    private string Assembly()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Distil.Generated.sln"))) continue;
            var path = Path.Combine(dir.FullName, _project, "bin", configuration, "net10.0", _assembly);
            return File.Exists(path) ? path : throw new FileNotFoundException($"Build {_project} first.", path);
        }
        throw new InvalidOperationException("The repository root is not above the test's folder.");
    }

    /// <summary>A running child and what it printed so far.</summary>
    public sealed class Child : IDisposable
    {
        private readonly StringBuilder _output = new();
        private readonly StringBuilder _error = new();

        public Child(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_error) _error.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public bool HasExited => Process.HasExited;

        /// <summary>What it wrote to standard output so far (all of it once it has exited).</summary>
        public string Output
        {
            get
            {
                if (Process.HasExited) Process.WaitForExit(); // flushes the stream readers
                lock (_output) return _output.ToString();
            }
        }

        /// <summary>What it wrote to standard error so far (all of it once it has exited).</summary>
        public string Error
        {
            get
            {
                if (Process.HasExited) Process.WaitForExit();
                lock (_error) return _error.ToString();
            }
        }

        /// <summary>Sends a POSIX signal (15 SIGTERM, 2 SIGINT as Ctrl+C does), as a service manager or a terminal would.</summary>
        public void Signal(int signal)
        {
            if (kill(Process.Id, signal) != 0) throw new InvalidOperationException($"kill({Process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}.");
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int sig);

        /// <summary>SIGKILL: no cleanup, no flush.</summary>
        public async Task KillAsync()
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }
}

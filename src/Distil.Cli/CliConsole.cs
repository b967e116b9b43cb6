using Spectre.Console;

namespace Distil.Cli;

/// <summary>Where a command reads and writes: the process's console, or test buffers.</summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error, TextReader In, IAnsiConsole Ansi);

/// <summary>A usage or input error: one clear line on standard error, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The exit codes of the distil command.</summary>
public static class ExitCodes
{
    /// <summary>Everything went through.</summary>
    public const int Success = 0;

    /// <summary>The run finished, but some rows have failed LLM calls, or a task step had no readable answer at all (their outputs are null).</summary>
    public const int FailedRows = 1;

    /// <summary>Bad usage or input: a missing or unknown argument, a file or column that does not exist.</summary>
    public const int Usage = 2;
}

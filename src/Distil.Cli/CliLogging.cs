using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Serilog;
using Serilog.Extensions.Logging;

namespace Distil.Cli;

/// <summary>
/// Where <c>distil run</c> logs: the console (warnings, and progress lines when no terminal shows
/// the live table) and, with <c>--log-file</c>, a file. <c>--log-level</c> sets the least level of
/// both; without it the file gets everything from <c>information</c> up.
/// </summary>
internal static class CliLogging
{
    /// <summary>The names <c>--log-level</c> takes, as Microsoft.Extensions.Logging spells its levels.</summary>
    public static readonly IReadOnlyList<string> Levels = ["trace", "debug", "information", "warning", "error", "critical", "none"];

    /// <summary>The level called <paramref name="name"/> (any case), or a usage error listing the names.</summary>
    public static LogLevel? ParseLevel(string? name) =>
        name is null ? null
        : Enum.TryParse<LogLevel>(name, ignoreCase: true, out var level) && Levels.Contains(name.ToLowerInvariant()) ? level
        : throw new UsageException($"distil run: --log-level must be one of {string.Join(", ", Levels)}, not '{name}'.");

    /// <summary>The environment variable that sets the shortest gap, in seconds, between two progress lines of a step.</summary>
    public const string ProgressIntervalVariable = "DISTIL_PROGRESS_INTERVAL";

    /// <summary>
    /// The shortest gap between two progress lines of a step when no terminal shows the live table:
    /// <c>DISTIL_PROGRESS_INTERVAL</c> seconds, else 30 s (see docs/cli.md, "Progress without a terminal").
    /// </summary>
    public static TimeSpan ProgressInterval()
    {
        var text = Environment.GetEnvironmentVariable(ProgressIntervalVariable);
        if (string.IsNullOrWhiteSpace(text)) return TimeSpan.FromSeconds(30);
        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= 86_400
            ? TimeSpan.FromSeconds(seconds)
            : throw new UsageException($"distil run: {ProgressIntervalVariable} must be a number of seconds above 0 (at most 86400), such as 30 or 0.5, not '{text}'.");
    }

    public static ILoggerFactory Create(LogLevel? level, string? file)
    {
        Serilog.Core.Logger? fileLogger = null;
        if (file is not null)
        {
            var path = Path.GetFullPath(file);
            if (Directory.Exists(path)) throw new UsageException($"distil run: --log-file '{file}' is a folder; give a file path such as '{Path.Combine(path, "distil.log")}'.");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            fileLogger = new LoggerConfiguration()
                .MinimumLevel.Verbose()
                .WriteTo.File(path, outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}")
                .CreateLogger();
        }
        return LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Trace);
            builder.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
            // Console: warnings, and the pipeline's progress lines (shown when no terminal shows the live table).
            builder.AddFilter<ConsoleLoggerProvider>(null, level ?? LogLevel.Warning);
            builder.AddFilter<ConsoleLoggerProvider>("Distil.Pipeline", level ?? LogLevel.Information);
            if (fileLogger is not null)
            {
                builder.AddProvider(new SerilogLoggerProvider(fileLogger, dispose: true));
                builder.AddFilter<SerilogLoggerProvider>(null, level ?? LogLevel.Information);
            }
        });
    }
}

namespace Distil.Mcp;

// Finds a server's program before it is started, so that a misspelt command is reported as such
// rather than as a server that "closed its transport".
internal static class ExecutableLookup
{
    public static bool HasDirectory(string command) =>
        command.Contains('/', StringComparison.Ordinal) || command.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>The full path of the program, or null when there is none.</summary>
    public static string? Find(string command, string? workingDirectory)
    {
        if (HasDirectory(command))
        {
            var path = Path.GetFullPath(command, workingDirectory ?? Directory.GetCurrentDirectory());
            return File.Exists(path) ? path : null;
        }
        var extensions = OperatingSystem.IsWindows()
            ? ["", .. (Environment.GetEnvironmentVariable("PATHEXT") ?? ".EXE;.CMD;.BAT").Split(';', StringSplitOptions.RemoveEmptyEntries)]
            : new[] { "" };
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(folder, command + extension);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }
}

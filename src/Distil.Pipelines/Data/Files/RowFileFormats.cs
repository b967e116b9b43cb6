using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Distil.Pipelines;

/// <summary>
/// The file formats <see cref="RowSources.File"/>, <see cref="RowSinks.File"/>, pipeline files and the
/// <c>distil</c> command know, by extension and by name. JSON Lines is built in; Parquet comes with the
/// Distil.Parquet package and CSV with the Distil.Csv package. A package's formats are registered for its consumers by Distil's generator (from the
/// package's <see cref="RowFileFormatAttribute"/>s) and by the package's own module initializer when it loads;
/// a program can register one itself.
/// </summary>
public static class RowFileFormats
{
    /// <summary>Formats Distil knows of but leaves to a package, by extension: the error names the package to add.</summary>
    private static readonly Dictionary<string, (string Format, string Package)> Elsewhere = new(StringComparer.OrdinalIgnoreCase)
    {
        [".csv"] = ("csv", "Distil.Csv"),
        [".parquet"] = ("parquet", "Distil.Parquet"),
    };

    private static readonly object Gate = new();
    private static readonly List<RowFileFormat> Formats = [new JsonlFileFormat()];

    /// <summary>Every registered format, the latest registered first (so it wins an extension it shares with an earlier one), the built-in ones last.</summary>
    public static IReadOnlyList<RowFileFormat> All
    {
        get
        {
            lock (Gate) return [.. Formats];
        }
    }

    /// <summary>
    /// Adds <paramref name="format"/>. Registering a format of the same type again does nothing; a format named like
    /// another, or claiming another's extension, replaces it (a program may swap the built-in writer of a format).
    /// </summary>
    /// <exception cref="ArgumentException">The format has no name or no extension, or an extension without its dot.</exception>
    public static void Register(RowFileFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        Check(format);
        lock (Gate)
        {
            if (Formats.Any(f => f.GetType() == format.GetType())) return;
            Formats.RemoveAll(f => f.Name == format.Name);
            Formats.Insert(0, format);
        }
    }

    /// <summary>Removes the format named <paramref name="name"/> (any case), if registered: a host that must not read or write it, or a test.</summary>
    /// <returns>Whether a format was removed.</returns>
    public static bool Unregister(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (Gate) return Formats.RemoveAll(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)) > 0;
    }

    /// <summary>
    /// Registers the formats <paramref name="assembly"/> declares with <see cref="RowFileFormatAttribute"/>, by
    /// reflection: for hosts that load assemblies at run time (the <c>distil</c> command loading a user's project).
    /// Programs need not call it: the generator registers referenced packages' formats at build time.
    /// </summary>
    /// <exception cref="ArgumentException">A declared type is not a <see cref="RowFileFormat"/>.</exception>
    public static void RegisterAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var declared in assembly.GetCustomAttributes<RowFileFormatAttribute>()) Register(Create(declared.Format));
    }

    /// <summary>The format named <paramref name="name"/> (<c>csv</c>, any case), or null.</summary>
    public static RowFileFormat? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (Gate) return Formats.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The format whose extensions include <paramref name="path"/>'s, or null.</summary>
    public static RowFileFormat? ForPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var extension = Path.GetExtension(path);
        if (extension.Length == 0) return null;
        lock (Gate) return Formats.FirstOrDefault(f => f.Extensions.Any(e => string.Equals(e, extension, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>The format of <paramref name="path"/>, by its extension.</summary>
    /// <exception cref="ArgumentException">No registered format has that extension; the message names the package that adds it, if one does, or the extensions there are.</exception>
    public static RowFileFormat Of(string path) => ForPath(path) ?? throw new ArgumentException(Unknown(path), nameof(path));

    /// <summary>The format named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No registered format has that name; the message names the package that adds it, if one does, or the names there are.</exception>
    public static RowFileFormat Named(string name)
    {
        if (Find(name) is { } format) return format;
        var package = Elsewhere.Values.FirstOrDefault(e => string.Equals(e.Format, name, StringComparison.OrdinalIgnoreCase)).Package;
        throw new ArgumentException(package is not null
            ? $"The format '{name}' comes with the {package} package; add a reference to {package} (dotnet add package {package})."
            : $"There is no file format named '{name}'; the formats are {string.Join(", ", All.Select(f => f.Name))}.", nameof(name));
    }

    private static string Unknown(string path)
    {
        var extension = Path.GetExtension(path);
        if (Elsewhere.TryGetValue(extension, out var elsewhere))
            return $"Reading or writing '{path}' needs the {elsewhere.Package} package, which adds the {elsewhere.Format} format: add a reference to {elsewhere.Package} (dotnet add package {elsewhere.Package}).";
        var known = string.Join(", ", All.SelectMany(f => f.Extensions));
        return extension.Length == 0
            ? $"Cannot tell the format of '{path}': it has no extension; use one of {known}."
            : $"Cannot tell the format of '{path}' from its extension '{extension}'; use one of {known}, or register a RowFileFormat for it.";
    }

    private static void Check(RowFileFormat format)
    {
        var type = format.GetType().FullName;
        if (string.IsNullOrWhiteSpace(format.Name)) throw new ArgumentException($"The file format {type} has no name.", nameof(format));
        if (format.Extensions is not { Count: > 0 } extensions) throw new ArgumentException($"The file format '{format.Name}' ({type}) has no extension.", nameof(format));
        foreach (var extension in extensions)
        {
            if (extension is not ['.', _, ..])
                throw new ArgumentException($"The file format '{format.Name}' ({type}) has the extension '{extension}'; write it with its dot: '.{extension}'.", nameof(format));
        }
    }

    private static RowFileFormat Create([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type type) =>
        Activator.CreateInstance(type) as RowFileFormat
            ?? throw new ArgumentException($"[assembly: RowFileFormat(typeof({type.FullName}))] names a type that is not a RowFileFormat.");
}

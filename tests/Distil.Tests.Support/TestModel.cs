namespace Distil.Tests.Support;

/// <summary>The tiny GGUF model with random weights that ships in the repository (samples/models).</summary>
public static class TestModel
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Distil.Generated.sln")))
            {
                return System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "samples", "models", "llama-2-tiny-random.gguf"));
            }
        }
        throw new InvalidOperationException("The repository root (Distil.Generated.sln) is not above the test's folder.");
    }
}

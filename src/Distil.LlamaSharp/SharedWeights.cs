using LLama;
using LLama.Common;
using LLama.Native;

namespace Distil.LlamaSharp;

/// <summary>
/// The weights of each GGUF file, loaded once per process and shared by every client of that
/// file: a model of several gigabytes must not be loaded twice because two tasks use it. The
/// weights are freed when the last client lets go of them.
/// </summary>
/// <remarks>
/// Process-wide by nature, so this is the one static, locked registry of the provider.
/// </remarks>
internal static class SharedWeights
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, Entry> Loaded = new(StringComparer.Ordinal);

    public static Lease Acquire(ModelParams parameters)
    {
        // One load per file and GPU offload: a file offloaded differently is another load.
        var path = $"{parameters.ModelPath}|gpu_layers={parameters.GpuLayerCount}";
        lock (Gate)
        {
            if (!Loaded.TryGetValue(path, out var entry))
            {
                // llama.cpp writes its progress to the console; a data run's output should stay readable.
                NativeLogConfig.llama_log_set(static (_, _) => { });
                entry = new Entry(LLamaWeights.LoadFromFile(parameters));
                Loaded[path] = entry;
            }
            entry.Users++;
            return new Lease(path, entry.Weights);
        }
    }

    private static void Release(string path)
    {
        lock (Gate)
        {
            if (!Loaded.TryGetValue(path, out var entry) || --entry.Users > 0) return;
            Loaded.Remove(path);
            entry.Weights.Dispose();
        }
    }

    private sealed class Entry(LLamaWeights weights)
    {
        public LLamaWeights Weights { get; } = weights;
        public int Users { get; set; }
    }

    /// <summary>One client's hold on the weights of a file.</summary>
    public sealed class Lease(string path, LLamaWeights weights) : IDisposable
    {
        private int _released;

        public LLamaWeights Weights { get; } = weights;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) Release(path);
        }
    }
}

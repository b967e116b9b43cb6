using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Distil.Pipelines;

/// <summary>
/// One part of a run split over several processes or machines: shard <see cref="Index"/> of
/// <see cref="Count"/> takes the source rows whose key (their position in the source) hashes to
/// it. Every row belongs to exactly one shard, the shards get about the same number of rows, and a
/// shard run again takes the same rows. Each shard has a run directory and outputs of its own;
/// <see cref="ShardMerge"/> puts the outputs back together in the source's order.
/// </summary>
/// <param name="Index">This shard, from 0.</param>
/// <param name="Count">How many shards there are.</param>
public sealed record Shard(int Index, int Count)
{
    /// <summary>Validates.</summary>
    public int Index { get; } = Count >= 1 && Index >= 0 && Index < Count
        ? Index
        : throw new ArgumentOutOfRangeException(nameof(Index), Index, $"A shard is I/N with 0 <= I < N and N >= 1; got {Index}/{Count}.");

    /// <summary>Reads <c>I/N</c>, e.g. <c>2/8</c>.</summary>
    /// <exception cref="FormatException">The text is not of that form, or I is not below N.</exception>
    public static Shard Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            && count >= 1 && index < count)
        {
            return new Shard(index, count);
        }
        throw new FormatException($"'{text}' is not a shard: write I/N with I from 0 to N-1, e.g. 0/4 for the first of four.");
    }

    /// <summary>Whether the source row at <paramref name="sourceIndex"/> belongs to this shard.</summary>
    public bool Contains(long sourceIndex) => Of(sourceIndex, Count) == Index;

    /// <summary>The shard of <paramref name="count"/> that the source row at <paramref name="sourceIndex"/> belongs to.</summary>
    public static int Of(long sourceIndex, int count)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.ASCII.GetBytes(sourceIndex.ToString(CultureInfo.InvariantCulture)), hash);
        return (int)(BitConverter.ToUInt64(hash) % (ulong)count);
    }

    /// <summary>
    /// <paramref name="path"/> made this shard's own: <c>out/answers.jsonl</c> becomes
    /// <c>out/answers.shard-2-of-8.jsonl</c>, a folder <c>out/dataset</c> becomes <c>out/dataset.shard-2-of-8</c>.
    /// </summary>
    public string Suffix(string path, bool isFolder = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var tag = $"shard-{Index}-of-{Count}";
        var trimmed = path.TrimEnd('/', '\\');
        if (isFolder || Path.GetExtension(trimmed).Length == 0) return $"{trimmed}.{tag}";
        return Path.Combine(Path.GetDirectoryName(trimmed) ?? "", $"{Path.GetFileNameWithoutExtension(trimmed)}.{tag}{Path.GetExtension(trimmed)}");
    }

    /// <summary><c>I/N</c>.</summary>
    public override string ToString() => $"{Index}/{Count}";
}

using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Distil;

internal static class AsyncRows
{
    // net8.0 has no built-in ToAsyncEnumerable; rows in memory need no real asynchrony.
    public static async IAsyncEnumerable<T> From<T>(
        IEnumerable<T> rows, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return row;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }
}

using System.Text;
using DiffPlex;

namespace Distil.Testing;

/// <summary>A unified diff of two texts (the format of <c>git diff</c>), built on DiffPlex's line diff.</summary>
public static class UnifiedDiff
{
    /// <summary>The diff from <paramref name="expected"/> (<c>-</c>) to <paramref name="actual"/> (<c>+</c>), with <paramref name="context"/> lines around each change.</summary>
    public static string Create(string expected, string actual, int context = 3)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        var diff = Differ.Instance.CreateLineDiffs(expected, actual, false);
        var a = diff.PiecesOld;
        var b = diff.PiecesNew;
        var text = new StringBuilder("--- verified\n+++ received\n");

        // Group the changed blocks whose context would touch into hunks.
        var blocks = diff.DiffBlocks;
        var i = 0;
        while (i < blocks.Count)
        {
            var j = i;
            while (j + 1 < blocks.Count && blocks[j + 1].DeleteStartA - (blocks[j].DeleteStartA + blocks[j].DeleteCountA) <= 2 * context) j++;

            var startA = Math.Max(0, blocks[i].DeleteStartA - context);
            var startB = Math.Max(0, blocks[i].InsertStartB - context);
            var endA = Math.Min(a.Count, blocks[j].DeleteStartA + blocks[j].DeleteCountA + context);
            var endB = Math.Min(b.Count, blocks[j].InsertStartB + blocks[j].InsertCountB + context);
            // As in git: an empty side is numbered from the line before it.
            text.Append($"@@ -{Start(startA, endA)},{endA - startA} +{Start(startB, endB)},{endB - startB} @@\n");

            var lineA = startA;
            for (var k = i; k <= j; k++)
            {
                var block = blocks[k];
                for (; lineA < block.DeleteStartA; lineA++) text.Append(' ').Append(a[lineA]).Append('\n');
                for (var d = 0; d < block.DeleteCountA; d++) text.Append('-').Append(a[block.DeleteStartA + d]).Append('\n');
                for (var n = 0; n < block.InsertCountB; n++) text.Append('+').Append(b[block.InsertStartB + n]).Append('\n');
                lineA = block.DeleteStartA + block.DeleteCountA;
            }
            for (; lineA < endA; lineA++) text.Append(' ').Append(a[lineA]).Append('\n');
            i = j + 1;
        }
        return text.ToString();
    }

    private static int Start(int start, int end) => end > start ? start + 1 : start;
}

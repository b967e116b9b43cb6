namespace Distil.Pipelines;

/// <summary>
/// Where a row came from: its index in its loader (<c>12</c>), with one more segment each time a
/// step made several rows of one (<c>12.1</c> for the second generation of row 12). Rows keep their
/// key through steps that map one row to one row, which is how joins match rows and how a resumed
/// run recognises work already done.
/// </summary>
internal readonly record struct RowKey(string Text) : IComparable<RowKey>
{
    public static RowKey Source(long index) => new(index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The key of the <paramref name="index"/>-th of several rows made from this one.</summary>
    public RowKey Child(int index) => new(Text + "." + index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Orders keys segment by segment, numerically: 2 before 10, 2.1 before 3.</summary>
    public int CompareTo(RowKey other)
    {
        var a = Text.AsSpan();
        var b = other.Text.AsSpan();
        while (true)
        {
            var ia = a.IndexOf('.');
            var ib = b.IndexOf('.');
            var sa = ia < 0 ? a : a[..ia];
            var sb = ib < 0 ? b : b[..ib];
            var bySegment = sa.Length != sb.Length ? sa.Length.CompareTo(sb.Length) : sa.SequenceCompareTo(sb);
            if (bySegment != 0) return bySegment;
            if (ia < 0 || ib < 0) return (ia < 0 ? 0 : 1) - (ib < 0 ? 0 : 1);
            a = a[(ia + 1)..];
            b = b[(ib + 1)..];
        }
    }

    public override string ToString() => Text;
}

/// <summary>A row on its way through the pipeline, with its key.</summary>
internal sealed record KeyedRow(RowKey Key, System.Text.Json.Nodes.JsonObject Row);

using System.Globalization;
using System.Text;

namespace Distil.Pipelines;

/// <summary>The report's charts, as inline SVG (no script, no network; they print).</summary>
internal static class ReportCharts
{
    private const int BarArea = 220;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>One column's chart: counts of few numbers or labels, a histogram, or text lengths; with its share of nulls.</summary>
    public static string Column(ColumnStatistics column)
    {
        var chart = new StringBuilder();
        chart.Append("<div class=\"chart\" data-column=\"").Append(RunReport.E(column.Name)).Append("\"><h4>").Append(RunReport.E(column.Name))
            .Append(column.Type is null ? "" : " <span class=\"muted\">" + RunReport.E(column.Type) + "</span>").Append("</h4>");
        var nullShare = column.Values == 0 ? 0 : (double)column.Nulls / column.Values;
        chart.Append("<div class=\"muted\"><span data-stat=\"values\">").Append(RunReport.N(column.Values)).Append("</span> values, <span data-stat=\"nulls\">")
            .Append(RunReport.N(column.Nulls)).Append("</span> null (").Append(nullShare.ToString("P1", Invariant)).Append(')');
        if (column.NumberCount > 0)
        {
            chart.Append(", min ").Append(Number(column.Min)).Append(", mean ").Append(Number(column.Sum / column.NumberCount)).Append(", max ").Append(Number(column.Max));
        }
        chart.Append("</div>");

        if (column.NumberCount > 0 && !column.ManyNumbers)
        {
            chart.Append(Bars("counts", column.NumberCounts.OrderBy(p => p.Key).Select(p => (Number(p.Key), p.Value)).ToList()));
        }
        else if (column.NumberCount > 0)
        {
            chart.Append(Histogram(column));
        }
        else if (column.TextCount > 0 && !column.ManyLabels)
        {
            chart.Append(Bars("labels", column.LabelCounts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)).ToList()));
        }
        else if (column.TextCount > 0)
        {
            var bins = column.LengthBins;
            var last = Math.Max(1, bins.ToList().FindLastIndex(b => b > 0));
            chart.Append("<div class=\"muted\">length in characters</div>")
                .Append(Bars("lengths", Enumerable.Range(0, last + 1).Select(i => (LengthBin(i), bins[i])).ToList()));
        }
        else if (column.True + column.False > 0)
        {
            chart.Append(Bars("booleans", [("true", column.True), ("false", column.False)]));
        }
        return chart.Append("</div>\n").ToString();
    }

    /// <summary>A step line of the adaptive concurrency limit over time: (seconds, limit) points, each limit held until the next.</summary>
    public static string LimitOverTime(IReadOnlyList<(double Seconds, int Limit)> points)
    {
        const int width = 480, height = 120, left = 40, bottom = 20;
        var end = Math.Max(0.001, points[^1].Seconds);
        var top = Math.Max(1, points.Max(p => p.Limit));
        double X(double seconds) => left + seconds / end * width;
        double Y(int limit) => 4 + (height - bottom - 4) * (1 - (double)limit / top);
        var path = new StringBuilder();
        for (var i = 0; i < points.Count; i++)
        {
            var (seconds, limit) = points[i];
            // Held until this point, then the step to the new limit.
            if (i > 0) path.Append(" L").Append(X(seconds).ToString("0.#", Invariant)).Append(',').Append(Y(points[i - 1].Limit).ToString("0.#", Invariant));
            path.Append(i == 0 ? "M" : " L").Append(X(seconds).ToString("0.#", Invariant)).Append(',').Append(Y(limit).ToString("0.#", Invariant));
        }
        var svg = new StringBuilder();
        svg.Append("<svg class=\"limit\" width=\"").Append(left + width + 10).Append("\" height=\"").Append(height)
            .Append("\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"concurrency limit over time\" data-points=\"").Append(points.Count).Append("\">")
            .Append("<path fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.5\" d=\"").Append(path).Append("\"/>")
            .Append("<text x=\"0\" y=\"12\">").Append(top).Append("</text><text x=\"0\" y=\"").Append(height - bottom).Append("\">0</text>")
            .Append("<text x=\"").Append(left).Append("\" y=\"").Append(height - 4).Append("\">0 s</text>")
            .Append("<text x=\"").Append(left + width - 40).Append("\" y=\"").Append(height - 4).Append("\">").Append(end.ToString("0.#", Invariant)).Append(" s</text>");
        return svg.Append("</svg>\n").ToString();
    }

    // Horizontal bars, one per value, with the value's count.
    private static string Bars(string kind, IReadOnlyList<(string Label, long Count)> bars)
    {
        const int row = 18, labelWidth = 120;
        var max = Math.Max(1, bars.Select(b => b.Count).DefaultIfEmpty(0).Max());
        var height = bars.Count * row + 4;
        var svg = new StringBuilder();
        svg.Append("<svg class=\"bars ").Append(kind).Append("\" width=\"").Append(labelWidth + BarArea + 70).Append("\" height=\"").Append(height)
            .Append("\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">");
        for (var i = 0; i < bars.Count; i++)
        {
            var (label, count) = bars[i];
            var y = 2 + i * row;
            var width = Math.Max(count > 0 ? 1 : 0, (int)Math.Round(BarArea * (double)count / max));
            svg.Append("<g class=\"bar\" data-label=\"").Append(RunReport.E(label)).Append("\" data-count=\"").Append(count).Append("\">")
                .Append("<text x=\"").Append(labelWidth - 6).Append("\" y=\"").Append(y + 12).Append("\" text-anchor=\"end\">").Append(RunReport.E(Clip(label))).Append("</text>")
                .Append("<rect x=\"").Append(labelWidth).Append("\" y=\"").Append(y + 2).Append("\" width=\"").Append(width).Append("\" height=\"").Append(row - 5).Append("\" fill=\"#54aeff\"/>")
                .Append("<text x=\"").Append(labelWidth + width + 4).Append("\" y=\"").Append(y + 12).Append("\">").Append(RunReport.N(count)).Append("</text></g>");
        }
        return svg.Append("</svg>").ToString();
    }

    // Twenty equal bins between the smallest and the largest number, from the sample.
    private static string Histogram(ColumnStatistics column)
    {
        const int binCount = 20, chartHeight = 90, barWidth = 14;
        var sample = column.Sample;
        var bins = new long[binCount];
        var span = column.Max - column.Min;
        foreach (var value in sample)
        {
            var bin = span <= 0 ? 0 : (int)Math.Min(binCount - 1, Math.Floor((value - column.Min) / span * binCount));
            bins[bin]++;
        }
        var max = Math.Max(1, bins.Max());
        var svg = new StringBuilder();
        svg.Append("<svg class=\"histogram\" width=\"").Append(binCount * barWidth + 20).Append("\" height=\"").Append(chartHeight + 34)
            .Append("\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">");
        for (var i = 0; i < binCount; i++)
        {
            var height = (int)Math.Round(chartHeight * (double)bins[i] / max);
            var from = column.Min + span * i / binCount;
            svg.Append("<rect class=\"bin\" data-count=\"").Append(bins[i]).Append("\" x=\"").Append(10 + i * barWidth).Append("\" y=\"").Append(4 + chartHeight - height)
                .Append("\" width=\"").Append(barWidth - 2).Append("\" height=\"").Append(height).Append("\" fill=\"#54aeff\"><title>")
                .Append(Number(from)).Append(" to ").Append(Number(from + span / binCount)).Append(": ").Append(RunReport.N(bins[i])).Append("</title></rect>");
        }
        svg.Append("<text x=\"10\" y=\"").Append(chartHeight + 20).Append("\">").Append(Number(column.Min)).Append("</text>")
            .Append("<text x=\"").Append(binCount * barWidth + 10).Append("\" y=\"").Append(chartHeight + 20).Append("\" text-anchor=\"end\">").Append(Number(column.Max)).Append("</text>");
        if (column.NumberCount > column.Sampled)
        {
            svg.Append("<text x=\"10\" y=\"").Append(chartHeight + 32).Append("\">from a uniform sample of ").Append(RunReport.N(column.Sampled)).Append(" values</text>");
        }
        return svg.Append("</svg>").ToString();
    }

    private static string LengthBin(int bin) => bin switch
    {
        0 => "0",
        1 => "1",
        _ => $"{1L << (bin - 1)}–{(1L << bin) - 1}",
    };

    private static string Clip(string text) => text.Length <= 18 ? text : text[..17] + "…";

    private static string Number(double value) => value.ToString(Math.Abs(value) >= 1000 || value == Math.Floor(value) ? "0.##" : "0.###", Invariant);
}

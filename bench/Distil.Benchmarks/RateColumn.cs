using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Distil.Benchmarks;

/// <summary>
/// A summary column computed from a benchmark's mean time per operation and the number of
/// requests one operation sends: requests per second, or their share of an ideal rate.
/// </summary>
internal sealed class RateColumn(string id, string name, string legend, int requestsPerOperation, Func<double, string> format) : IColumn
{
    public string Id => id;
    public string ColumnName => name;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => legend;
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return mean is { } nanoseconds and > 0 ? format(requestsPerOperation / (nanoseconds / 1e9)) : "-";
    }
}

namespace Distil.Pipelines;

/// <summary>
/// <c>RowSinks.Csv(path)</c>, added to Distil's <see cref="RowSinks"/> by this package (a C# 14 extension member;
/// with an earlier language version write <c>new CsvRowSink(path)</c>).
/// </summary>
public static class CsvRowSinks
{
    extension(RowSinks)
    {
        /// <summary>A CSV file with a header row; lists and records are written as JSON text.</summary>
        public static IRowSink Csv(string path) => new CsvRowSink(path);
    }
}

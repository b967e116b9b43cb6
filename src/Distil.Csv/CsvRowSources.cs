namespace Distil.Pipelines;

/// <summary>
/// <c>RowSources.Csv(path)</c>, added to Distil's <see cref="RowSources"/> by this package (a C# 14 extension
/// member; with an earlier language version write <c>new CsvRowSource(path)</c>).
/// </summary>
public static class CsvRowSources
{
    extension(RowSources)
    {
        /// <summary>
        /// A CSV file with a header row; every value is read as a string, or, loaded as a record
        /// (<c>Pipeline.Load&lt;TRow&gt;</c>), as its property's type (lists as JSON arrays or split on the
        /// separator of a <see cref="CsvListAttribute"/>).
        /// </summary>
        public static IRowSource Csv(string path) => new CsvRowSource(path);
    }
}

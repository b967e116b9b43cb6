namespace Distil.Pipelines;

/// <summary>
/// A source that reads its rows differently when they are loaded as a record (<c>Pipeline.Load&lt;TRow&gt;</c>):
/// a format whose cells are text (CSV) reads each cell as its property's type instead of as a string. Other
/// sources are read as they are and their rows checked against the record.
/// </summary>
public interface IRecordRowSource : IRowSource
{
    /// <summary>
    /// The rows as <paramref name="record"/>'s columns, each value of its property's type. Called when the pipeline
    /// loads the source, so that a record the format cannot read (a <c>[CsvList]</c> on a property that is not a
    /// list) fails there; the rows are read later, through the returned source.
    /// </summary>
    /// <exception cref="ArgumentException">The record cannot be read from this format; the message names the property.</exception>
    IRowSource ForRecord(RowMapper record);
}

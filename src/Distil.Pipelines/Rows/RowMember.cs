namespace Distil.Pipelines;

/// <summary>
/// One property of a record read as a row column: its column (name by the columns rule: the
/// property's name in snake_case or its <see cref="ColumnAttribute"/>, type, nullability), whether
/// rows may lack it, and what a CSV cell of it is read as. Written by generated code (or found by
/// reflection for a record the generator did not see); both give the same members.
/// </summary>
/// <param name="Property">The property's name.</param>
/// <param name="Column">The column.</param>
/// <param name="Optional">Whether a row may lack the column (the property is nullable or its constructor parameter has a default).</param>
/// <param name="ValueType">The property's type, for reading CSV cells.</param>
public sealed record RowMember(string Property, Column Column, bool Optional, Type ValueType)
{
    /// <summary>Whether a list's items may be null (<c>List&lt;string?&gt;</c>).</summary>
    public bool ItemNullable { get; init; }

    /// <summary>The separator of a list written as text in a CSV cell (<see cref="CsvListAttribute"/>); null for a JSON array.</summary>
    public string? CsvListSeparator { get; init; }
}

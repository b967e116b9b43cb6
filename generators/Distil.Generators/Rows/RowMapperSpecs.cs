using Distil.Generators.Model;

namespace Distil.Generators.Rows;

// Invariant: these specs hold only strings, bools and equatable arrays (no symbol, syntax node or
// location), so that the incremental pipeline can compare them and cache the code written from them.

/// <summary>A record that a program reads or writes as rows, with the code that maps it.</summary>
/// <param name="TypeName">The record's fully qualified name (<c>global::Shop.Ticket</c>).</param>
/// <param name="ShortName">The record's own name, for messages (as <c>Type.Name</c> gives it).</param>
/// <param name="Members">Its columns, in declaration order.</param>
/// <param name="Construct">The expression that makes the record from <c>row</c>.</param>
internal sealed record RowRecordSpec(string TypeName, string ShortName, EquatableArray<RowMemberSpec> Members, string Construct);

/// <summary>One property of a row record.</summary>
/// <param name="Property">The property's name.</param>
/// <param name="Column">The column's name, by the columns rule.</param>
/// <param name="ColumnType">The expression of its <c>ColumnType</c>.</param>
/// <param name="Nullable">Whether the value may be null.</param>
/// <param name="Optional">Whether a row may lack the column (nullable, or a constructor parameter with a default).</param>
/// <param name="ValueType">The <c>typeof</c> expression of the property's type.</param>
/// <param name="ItemNullable">Whether a list's items may be null.</param>
/// <param name="Separator">The <c>[CsvList]</c> separator, if any.</param>
/// <param name="Write">The expression that writes the property of <c>record</c> as a JSON node.</param>
internal sealed record RowMemberSpec(
    string Property, string Column, string ColumnType, bool Nullable, bool Optional, string ValueType, bool ItemNullable, string? Separator, string Write);
